import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { BuildService } from "../builds/create-build-service.js";
import type { Store } from "../store/store.js";
import { systemClock, type Clock } from "../domain/clock.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import {
  BRIDGE_SIGNATURE_HEADER,
  BRIDGE_TIMESTAMP_HEADER,
  MAX_BRIDGE_BODY_BYTES,
  MAX_CLOCK_SKEW_SEC,
  MAX_FORGE_BODY_BYTES,
  bridgePath,
  parseBridgePath,
} from "./bridge-protocol.js";
import { BridgeRequestError } from "./bridge-request-error.js";
import { decideRefBuilds, type IgnoredRef } from "./decide-ref-builds.js";
import { describePushOutcome } from "./describe-push-outcome.js";
import { parseRefUpdates, type RefUpdate } from "./parse-ref-updates.js";
import { readForgePush } from "./read-forge-push.js";
import type { PrivateRepo } from "./private-repo.js";
import { readRequestBody } from "./read-request-body.js";
import { verifyBridgeSignature } from "./verify-bridge-signature.js";

export interface BridgeHandlerOptions {
  /** The private repositories (from `loadPrivateRepos`), read at each request: the server replaces the list's contents on SIGHUP. */
  repos: readonly PrivateRepo[];
  /** Deliveries (replay protection) and builds of a commit (to name the build a duplicate push already has). */
  store: Pick<Store, "recordDelivery" | "findBuilds">;
  builds: Pick<BuildService, "submit">;
  clock?: Clock;
  log?: Logger;
  /** The dashboard's base URL (PONYCI_PUBLIC_URL): each queued build's page is in the answer, and the hook prints it. */
  publicUrl?: string;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  /** Default 300 s. */
  maxSkewSec?: number;
}

/** Probot's `addHandler` shape: resolves false for requests that are not the bridge's. */
export type BridgeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** The 202 answer: what was queued, what was not and why, and the hook's line. */
export interface BridgeAccepted {
  builds: { id: number; ref: string; sha: string; url?: string }[];
  ignored: IgnoredRef[];
  /** What the hook prints after "Pony CI: ". */
  summary: string;
}

/**
 * The bridge endpoint, `POST /bridge/<name>/post-receive` (docs/bridge.md).
 * Numbered steps, each refusal a 4xx with one line of text and nothing recorded:
 * 1. route: not under /bridge/ → false; other paths 404; not POST 405;
 * 2–4. body at most 64 KiB (413); signature and timestamp (401), checked
 *    against the repository's secret, or for a repository that is not
 *    configured against a random one: an unknown name gets exactly the 401 of
 *    a bad signature, so the endpoint does not tell which names exist;
 * 5. the lines git fed the hook (400);
 * 6. replay: the same signature seen before (409);
 * 7. each branch update becomes `builds.submit` (which returns at once); 202.
 * `POST /bridge/<name>/forge` takes a Gitea, Forgejo or GitLab push webhook
 * instead (read-forge-push.ts: HMAC or token against the same secret, the
 * delivery id for replays); other events are answered 202 and ignored.
 */
export function createBridgeHandler(options: BridgeHandlerOptions): BridgeHandler {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BRIDGE_BODY_BYTES;
  const maxSkewSec = options.maxSkewSec ?? MAX_CLOCK_SKEW_SEC;
  const dashboard = options.publicUrl?.replace(/\/+$/, "");
  // What a name no repository has is checked against: nobody knows it, so its answer is a bad signature's.
  const unknownRepoSecret = randomBytes(32).toString("hex");

  return async (req, res) => {
    // 1. Route.
    const route = parseBridgePath(new URL(req.url ?? "/", "http://bridge.invalid").pathname);
    if (route === undefined) return false;
    try {
      if (route.kind === "unknown-path") throw new BridgeRequestError(404, `no such bridge endpoint: the hook posts to ${bridgePath("<name>")}`);
      if (req.method !== "POST") {
        res.setHeader("Allow", "POST");
        throw new BridgeRequestError(405, `${req.method ?? "?"} is not allowed: the hook POSTs to ${bridgePath(route.name)}`);
      }
      // 2–6. Repository, body, signature, lines, replay.
      const repo = options.repos.find((candidate) => candidate.name === route.name);
      // A forge's push payload lists its commits: larger than the hook's lines.
      const body = await readRequestBody(req, route.kind === "forge" ? Math.max(maxBodyBytes, MAX_FORGE_BODY_BYTES) : maxBodyBytes);
      let updates: RefUpdate[];
      let event = "post-receive";
      if (route.kind === "forge") {
        // A forge's push webhook (Gitea, Forgejo, GitLab), checked against the repository's secret.
        const push = readForgePush(req.headers, body, repo?.secret ?? unknownRepoSecret);
        if (!repo) throw new BridgeRequestError(401, "bad signature: the webhook's secret does not match this repository's secret on the server");
        if (push.kind === "other") {
          send(res, 202, "application/json", JSON.stringify({ builds: [], ignored: [], summary: `${push.forge} event ${JSON.stringify(push.event)} ignored: only pushes are built` }));
          return true;
        }
        if (!options.store.recordDelivery(`forge:${push.delivery}`, `push:${repo.name}`)) {
          throw new BridgeRequestError(409, "replayed request: this webhook delivery was already received");
        }
        updates = push.updates;
        event = "push";
      } else {
        const signature = header(req, BRIDGE_SIGNATURE_HEADER);
        verifyBridgeSignature({ secret: repo?.secret ?? unknownRepoSecret, timestamp: header(req, BRIDGE_TIMESTAMP_HEADER), signature, body, nowMs: clock.now(), maxSkewSec });
        if (!repo) throw new BridgeRequestError(401, "bad signature: the hook's secret file does not match this repository's secret on the server");
        updates = parseRefUpdates(body.toString("utf8"));
        if (!options.store.recordDelivery(`bridge:${signature?.slice("sha256=".length) ?? ""}`, `post-receive:${repo.name}`)) {
          throw new BridgeRequestError(409, "replayed request: this signed notification was already received (the hook signs every push anew)");
        }
      }
      // 7. Submit.
      const decided = decideRefBuilds(repo, updates);
      const accepted: BridgeAccepted = { builds: [], ignored: decided.ignored, summary: "" };
      for (const update of decided.builds) {
        const submitted = options.builds.submit({
          source: "bridge",
          repo: { name: repo.name, cloneUrl: repo.url, visibility: repo.visibility },
          sha: update.sha,
          branch: update.branch,
          event,
          base: { sha: update.before, branch: update.branch },
        });
        if (!submitted) {
          const existing = options.store.findBuilds({ repo: repo.name, sha: update.sha })[0];
          accepted.ignored.push({ ...update, reason: `commit ${update.sha.slice(0, 7)} of ${update.branch} already built${existing ? ` (build #${existing.id})` : ""}` });
          continue;
        }
        const { build, planned } = submitted;
        planned.catch((error: unknown) => log.error({ build: build.id, err: error }, "planning a bridge build failed: it is retried at the next start"));
        accepted.builds.push({ id: build.id, ref: update.ref, sha: update.sha, ...(dashboard ? { url: `${dashboard}/builds/${build.id}` } : {}) });
      }
      accepted.summary = describePushOutcome(accepted.builds, accepted.ignored);
      log.info({ repo: repo.name, builds: accepted.builds.map((b) => b.id), ignored: accepted.ignored.length }, "post-receive accepted");
      send(res, 202, "application/json", JSON.stringify(accepted));
    } catch (error) {
      if (error instanceof BridgeRequestError) {
        log.warn({ path: req.url, status: error.status, reason: error.message }, "post-receive refused");
        send(res, error.status, "text/plain; charset=utf-8", `${error.message}\n`);
      } else {
        log.error({ path: req.url, err: error }, "post-receive failed");
        send(res, 500, "text/plain; charset=utf-8", "internal error: the notification was not recorded; see the Pony CI server's log\n");
      }
      req.resume();
    }
    return true;
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
