/**
 * The wire protocol between the post-receive hook (runner/hooks/post-receive)
 * and the bridge endpoint. The hook POSTs the lines git fed it, unchanged, to
 * `/bridge/<name>/post-receive` with two headers:
 *   X-PonyCI-Timestamp: <unix seconds>
 *   X-PonyCI-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the repository's secret>
 * The hook's copy of these names lives in the Python script: change both together.
 */
export const BRIDGE_TIMESTAMP_HEADER = "x-ponyci-timestamp";
export const BRIDGE_SIGNATURE_HEADER = "x-ponyci-signature";

/** Bodies above this are refused (413): thousands of refs in one push. */
export const MAX_BRIDGE_BODY_BYTES = 64 * 1024;

/** Forge push payloads (their commit lists) above this are refused (413). */
export const MAX_FORGE_BODY_BYTES = 1024 * 1024;

/** A timestamp further than this from the server's clock is stale (401). */
export const MAX_CLOCK_SKEW_SEC = 5 * 60;

/** The endpoint path of a private repository. */
export function bridgePath(name: string): string {
  return `/bridge/${name}/post-receive`;
}

/** The endpoint of a private repository's forge webhooks (Gitea, Forgejo, GitLab push events). */
export function forgeWebhookPath(name: string): string {
  return `/bridge/${name}/forge`;
}

/**
 * What a request path means to the bridge: not ours (`undefined`), the
 * post-receive endpoint of `name`, or a path under /bridge/ that is no endpoint.
 */
export function parseBridgePath(pathname: string): { kind: "post-receive" | "forge"; name: string } | { kind: "unknown-path" } | undefined {
  if (pathname !== "/bridge" && !pathname.startsWith("/bridge/")) return undefined;
  const match = /^\/bridge\/([^/]+)\/(post-receive|forge)\/?$/.exec(pathname);
  if (!match?.[1]) return { kind: "unknown-path" };
  let name: string;
  try {
    name = decodeURIComponent(match[1]);
  } catch {
    return { kind: "unknown-path" };
  }
  return { kind: match[2] === "forge" ? "forge" : "post-receive", name };
}
