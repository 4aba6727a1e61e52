import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/forges");

export interface RecordedStatus {
  forge: "gitea" | "gitlab";
  /** "owner/repo" (Gitea) or the decoded project id (GitLab). */
  project: string;
  sha: string;
  auth: string | undefined;
  body: Record<string, unknown>;
  /** Schema violations of the body against the forge's published description (empty when valid). */
  violations: string[];
}

export interface FakeForgeServer {
  /** http://127.0.0.1:<port> */
  url: string;
  statuses: RecordedStatus[];
  /** The next n status requests answer this HTTP status. */
  failNext(status: number, times?: number): void;
  close(): Promise<void>;
}

/** A validator for one vendored excerpt (test/fixtures/forges): swagger 2.0 definitions compiled by ajv. */
function validatorOf(file: string): { validate: ValidateFunction; states?: string[] } {
  const excerpt = JSON.parse(readFileSync(path.join(FIXTURES, file), "utf8")) as { operation: { body: string }; definitions: Record<string, { description?: string }> };
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile({ definitions: excerpt.definitions, $ref: excerpt.operation.body });
  // Gitea's CommitStatusState is a plain string whose values the published description lists in quotes.
  const described = excerpt.definitions.CommitStatusState?.description;
  return { validate, states: described ? [...described.matchAll(/"([a-z]+)"/g)].map((m) => m[1] as string) : undefined };
}

/**
 * Gitea (and Forgejo) and GitLab at the HTTP layer: the status endpoints
 * only, every body checked against the forge's published API description
 * (vendored excerpts), recorded with its Authorization / PRIVATE-TOKEN.
 */
export async function startFakeForgeServer(): Promise<FakeForgeServer> {
  const gitea = validatorOf("gitea-create-status.json");
  const gitlab = validatorOf("gitlab-post-status.json");
  const statuses: RecordedStatus[] = [];
  let failures: { status: number; times: number } | undefined;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://forge.invalid");
      const giteaMatch = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(url.pathname);
      const gitlabMatch = /^\/api\/v4\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(url.pathname);
      if (req.method !== "POST" || (!giteaMatch && !gitlabMatch)) return void res.writeHead(404).end();
      if (failures && failures.times > 0) {
        failures.times--;
        return void res.writeHead(failures.status, { "Content-Type": "application/json" }).end('{"message":"scripted failure"}');
      }
      let body: Record<string, unknown> = {};
      const violations: string[] = [];
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        violations.push("body is not JSON");
      }
      const check = giteaMatch ? gitea : gitlab;
      if (!check.validate(body)) violations.push(...(check.validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ""}`));
      if (check.states && !check.states.includes(String(body.state))) violations.push(`state ${String(body.state)} is not one of ${check.states.join(", ")}`);
      statuses.push(
        giteaMatch
          ? { forge: "gitea", project: `${decodeURIComponent(giteaMatch[1] ?? "")}/${decodeURIComponent(giteaMatch[2] ?? "")}`, sha: giteaMatch[3] ?? "", auth: req.headers.authorization, body, violations }
          : { forge: "gitlab", project: decodeURIComponent(gitlabMatch?.[1] ?? ""), sha: gitlabMatch?.[2] ?? "", auth: req.headers["private-token"] as string | undefined, body, violations },
      );
      res.writeHead(201, { "Content-Type": "application/json" }).end(JSON.stringify({ id: statuses.length, ...body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    statuses,
    failNext: (status, times = 1) => void (failures = { status, times }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
