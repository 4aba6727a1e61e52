/**
 * The test GitHub App's identity and signed webhook deliveries to a local
 * server. No nock here: the recovery tests, which fake GitHub with a real
 * HTTP server for a child process, use it too.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import http from "node:http";
import { sign } from "@octokit/webhooks-methods";

export const APP_ID = 4242;
export const INSTALLATION_ID = 77;
export const WEBHOOK_SECRET = "pony-test-secret";

let privateKey: string | undefined;
/** A real RSA key: Probot signs app JWTs with it (GitHub is faked, the crypto is not). */
export function testPrivateKey(): string {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return privateKey;
}

/** POST a webhook to the running server, signed like GitHub does (or with `signature`). */
export async function postWebhook(port: number, event: string, payload: unknown, options: { secret?: string; signature?: string; delivery?: string } = {}): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const signature = options.signature ?? (await sign(options.secret ?? WEBHOOK_SECRET, body));
  return postLocal(port, "/api/github/webhooks", body, {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": options.delivery ?? randomUUID(),
    "x-hub-signature-256": signature,
  });
}

/** POST to the local server without keep-alive (no socket outlives the test). */
export function postLocal(port: number, urlPath: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: urlPath, method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) }, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** A push webhook payload for a local repository standing in for a GitHub one. */
export function pushPayload(repo: { dir: string; sha: string }, options: { fullName?: string; branch?: string; before?: string } = {}) {
  const fullName = options.fullName ?? "pony/app";
  const [owner = "", name = ""] = fullName.split("/");
  return {
    ref: `refs/heads/${options.branch ?? "main"}`,
    before: options.before ?? "0".repeat(40),
    after: repo.sha,
    created: false,
    deleted: false,
    forced: false,
    commits: [],
    repository: { id: 1, full_name: fullName, name, clone_url: repo.dir, private: false, default_branch: "main", owner: { login: owner } },
    installation: { id: INSTALLATION_ID },
    sender: { login: "octocat", id: 1 },
  };
}
