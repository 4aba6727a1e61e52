import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { BridgeRequestError } from "./bridge-request-error.js";
import type { RefUpdate } from "./parse-ref-updates.js";
import type { ForgeKind } from "../builds/config/forge-config.js";

/** What a forge's webhook delivery says, once its signature or token checked out. */
export type ForgePush =
  | { kind: "push"; forge: ForgeKind; delivery: string; updates: RefUpdate[] }
  /** Signed, but not a push (a ping, an issue…): answered 202 and left alone. */
  | { kind: "other"; forge: ForgeKind; event: string };

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const REF = /^refs\/[^\s\0]{1,250}$/;

/**
 * Checks and reads a Gitea, Forgejo or GitLab webhook delivery (pure):
 * Gitea/Forgejo sign the raw body with HMAC-SHA256 under the webhook's secret
 * (X-Gitea-Signature / X-Forgejo-Signature, bare hex); GitLab sends the secret
 * itself (X-Gitlab-Token). Both compared in constant time, against the
 * repository's secret. A push becomes the same ref updates the post-receive
 * hook sends; only `ref`, `before` and `after` are read, each checked.
 * @throws BridgeRequestError 401 (no or bad signature/token), 400 (not a push payload)
 */
export function readForgePush(headers: IncomingHttpHeaders, body: Buffer, secret: string): ForgePush {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const giteaSignature = header("x-forgejo-signature") ?? header("x-gitea-signature");
  const gitlabToken = header("x-gitlab-token");
  let forge: ForgeKind;
  let event: string;
  let delivery: string | undefined;
  if (giteaSignature !== undefined) {
    const expected = createHmac("sha256", secret).update(body).digest();
    const given = /^[0-9a-f]{64}$/i.test(giteaSignature) ? Buffer.from(giteaSignature, "hex") : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new BridgeRequestError(401, "bad signature: the webhook's secret does not match this repository's secret on the server");
    forge = header("x-forgejo-signature") !== undefined ? "forgejo" : "gitea";
    event = header("x-forgejo-event") ?? header("x-gitea-event") ?? "";
    delivery = header("x-forgejo-delivery") ?? header("x-gitea-delivery");
  } else if (gitlabToken !== undefined) {
    const given = createHash("sha256").update(gitlabToken).digest();
    const expected = createHash("sha256").update(secret).digest();
    if (!timingSafeEqual(given, expected)) throw new BridgeRequestError(401, "bad token: the webhook's secret token does not match this repository's secret on the server");
    forge = "gitlab";
    event = header("x-gitlab-event") ?? "";
    delivery = header("x-gitlab-event-uuid") ?? header("idempotency-key");
  } else {
    throw new BridgeRequestError(401, "unsigned: a forge webhook needs its secret (Gitea/Forgejo sign the body, GitLab sends X-Gitlab-Token)");
  }
  if (event !== "push" && event !== "Push Hook") return { kind: "other", forge, event: event.slice(0, 60) };
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString("utf8"));
  } catch {
    throw new BridgeRequestError(400, "the push payload is not JSON: set the webhook's content type to application/json");
  }
  const { ref, before, after } = (payload ?? {}) as { ref?: unknown; before?: unknown; after?: unknown };
  if (typeof ref !== "string" || !REF.test(ref) || typeof before !== "string" || !SHA.test(before) || typeof after !== "string" || !SHA.test(after)) {
    throw new BridgeRequestError(400, "the push payload has no valid ref, before and after");
  }
  // Without a delivery id the body's hash names the delivery: a replayed body is still one delivery.
  const id = delivery && /^[A-Za-z0-9-]{1,100}$/.test(delivery) ? delivery : createHash("sha256").update(body).digest("hex");
  return { kind: "push", forge, delivery: `${forge}:${id}`, updates: [{ ref, oldSha: before, newSha: after }] };
}
