/**
 * The GitHub App identity of the recovery tests and a signed webhook POST,
 * without nock: test/support/github-app-harness.ts imports nock, and nock
 * patches node's http module for the whole jest worker as soon as it is
 * imported. Test files that run later in that worker then see Docker's
 * socket requests (dockerode's `socketPath`) sent to 127.0.0.1:80 instead
 * ("connect ECONNREFUSED 127.0.0.1:80"). These tests fake GitHub with a
 * real HTTP server, so they need no nock at all.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import http from "node:http";
import { sign } from "@octokit/webhooks-methods";

export const APP_ID = 4242;
export const INSTALLATION_ID = 77;
export const WEBHOOK_SECRET = "pony-recovery-secret";

let privateKey: string | undefined;
/** A real RSA key: the server signs app JWTs with it (GitHub is faked, the crypto is not). */
export function appPrivateKey(): string {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return privateKey;
}

/** POSTs a webhook to a local server, signed like GitHub does; no keep-alive (no socket outlives the call). */
export async function postSignedWebhook(port: number, event: string, payload: unknown, options: { delivery?: string; secret?: string } = {}): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  const headers = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    "x-github-event": event,
    "x-github-delivery": options.delivery ?? randomUUID(),
    "x-hub-signature-256": await sign(options.secret ?? WEBHOOK_SECRET, body),
  };
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path: "/api/github/webhooks", method: "POST", headers, agent: false }, (response) => {
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
export function pushPayload(repo: { dir: string; sha: string }, fullName: string) {
  const [owner = "", name = ""] = fullName.split("/");
  return {
    ref: "refs/heads/main",
    before: "0".repeat(40),
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
