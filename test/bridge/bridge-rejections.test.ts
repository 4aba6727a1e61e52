import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { request } from "node:http";
import { signBridgePayload } from "../../src/bridge/sign-bridge-payload.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { startBridgeServer, type BridgeTestServer } from "./bridge-server.js";

/**
 * The endpoint over real HTTP: every refusal has its status and one-line
 * message and records nothing; a valid notification is accepted (the
 * control that shows the refusals are not vacuous). The queue is not
 * started: accepted builds are recorded and planned, never run.
 */
describe("POST /bridge/<name>/post-receive refusals", () => {
  const SECRET = "a-long-enough-shared-secret-0001";
  const ZERO = "0".repeat(40);
  let server: BridgeTestServer;
  let repo: FixtureRepo;
  let body: string;

  beforeAll(async () => {
    repo = await createFixtureRepo("bridge-project");
    body = `${ZERO} ${repo.sha} refs/heads/main\n`;
    server = await startBridgeServer({
      repos: [{ name: "private-project", url: repo.dir, secret: SECRET, visibility: "private", after: [] }],
      run: false,
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  async function post(path: string, payload: string | Buffer, headers: Record<string, string> = {}, method = "POST"): Promise<{ status: number; text: string }> {
    const response = await fetch(`${server.url}${path}`, { method, body: method === "POST" ? payload : undefined, headers: { "Content-Type": "text/plain", ...headers } });
    return { status: response.status, text: await response.text() };
  }

  function signed(payload: string | Buffer, options: { secret?: string; at?: number } = {}): Record<string, string> {
    const timestamp = String(options.at ?? Math.floor(Date.now() / 1000));
    return { "X-PonyCI-Timestamp": timestamp, "X-PonyCI-Signature": signBridgePayload(options.secret ?? SECRET, timestamp, payload) };
  }

  const endpoint = "/bridge/private-project/post-receive";

  it.each([
    ["a bad signature", () => post(endpoint, body, signed(body, { secret: "not-the-secret-of-this-repository" })), 401, /^bad signature: the hook's secret file does not match this repository's secret on the server\n$/],
    ["a signature of another body", () => post(endpoint, body, signed(`${ZERO} ${repo.sha} refs/heads/other\n`)), 401, /^bad signature/],
    ["no signature at all", () => post(endpoint, body), 401, /^unsigned request: the X-PonyCI-Timestamp and X-PonyCI-Signature headers are required/],
    ["a stale timestamp", () => post(endpoint, body, signed(body, { at: Math.floor(Date.now() / 1000) - 600 })), 401, /^stale request: its timestamp is 60\d s away from the server's clock \(at most 300 s\)/],
    ["a timestamp from the future", () => post(endpoint, body, signed(body, { at: Math.floor(Date.now() / 1000) + 3600 })), 401, /^stale request/],
    // Answered exactly like a bad signature: the endpoint does not tell which repository names exist.
    ["an unknown repository", () => post("/bridge/no-such-project/post-receive", body, signed(body)), 401, /^bad signature: the hook's secret file does not match this repository's secret on the server\n$/],
    ["an oversized body", () => { const big = `${body}${"x".repeat(64 * 1024)}`; return post(endpoint, big, signed(big)); }, 413, /^body too large: at most 65536 bytes \(64 KiB\)/],
    ["a malformed body", () => post(endpoint, "hello world\n", signed("hello world\n")), 400, /^malformed line 1 "hello world": expected `<old-sha> <new-sha> <ref>`/],
    ["an empty body", () => post(endpoint, "", signed("")), 400, /^empty body/],
    ["a short sha", () => { const b = `${ZERO} abc123 refs/heads/main\n`; return post(endpoint, b, signed(b)); }, 400, /^malformed line 1/],
    ["a GET", () => post(endpoint, "", {}, "GET"), 405, /^GET is not allowed: the hook POSTs to \/bridge\/private-project\/post-receive/],
    ["another path under /bridge/", () => post("/bridge/private-project", body, signed(body)), 404, /^no such bridge endpoint/],
  ])("refuses %s with its status and one line, queueing nothing", async (_what, send, status, message) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.text).toMatch(message);
    expect(response.text.trimEnd().split("\n")).toHaveLength(1);
    expect(server.store.listBuilds()).toEqual([]);
  });

  it("refuses a streamed (chunked) body as soon as it passes 64 KiB, queueing nothing", async () => {
    const headers = signed("irrelevant: refused before the signature is checked");
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${server.url}${endpoint}`, { method: "POST", headers: { ...headers, "Transfer-Encoding": "chunked" } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      for (let i = 0; i < 20; i++) req.write(`${body}${"x".repeat(4096)}`);
      req.end();
    });
    expect(response.status).toBe(413);
    expect(response.text).toMatch(/^body too large/);
    expect(server.store.listBuilds()).toEqual([]);
  });

  it("leaves other paths to the next handler", async () => {
    const response = await post("/api/github/webhooks", body);
    expect(response).toEqual({ status: 404, text: "not found\n" });
  });

  it("accepts a valid notification once, and refuses its replay", async () => {
    const headers = signed(body);
    const accepted = await post(endpoint, body, headers);
    expect(accepted.status).toBe(202);
    const answer = JSON.parse(accepted.text) as { builds: { id: number; ref: string; sha: string }[]; ignored: unknown[]; summary: string };
    expect(answer).toEqual({ builds: [{ id: expect.any(Number), ref: "refs/heads/main", sha: repo.sha }], ignored: [], summary: `build #${answer.builds[0]?.id} queued` });
    expect(server.store.listBuilds().map((b) => [b.id, b.repo, b.sha, b.branch, b.source, b.event])).toEqual([[answer.builds[0]?.id, "private-project", repo.sha, "main", "bridge", "post-receive"]]);

    const replay = await post(endpoint, body, headers);
    expect(replay).toEqual({ status: 409, text: "replayed request: this signed notification was already received (the hook signs every push anew)\n" });
    expect(server.store.listBuilds()).toHaveLength(1);
  });

  it("answers a push of an already built commit with that build's number", async () => {
    const again = `${ZERO} ${repo.sha} refs/heads/release\n`;
    const response = await post(endpoint, again, signed(again, { at: Math.floor(Date.now() / 1000) - 1 }));
    expect(response.status).toBe(202);
    const [build] = server.store.listBuilds();
    expect(JSON.parse(response.text)).toMatchObject({ builds: [], summary: `not queued: commit ${repo.sha.slice(0, 7)} of release already built (build #${build?.id})` });
    expect(server.store.listBuilds()).toHaveLength(1);
  });
});
