import { afterAll, describe, expect, it } from "@jest/globals";
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sign } from "@octokit/webhooks-methods";
import { createScriptedRunner } from "../support/create-scripted-runner.js";
import { INSTALLATION_ID, WEBHOOK_SECRET, fakeGitHub, pushPayload, serveContents, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import type { RunningServer } from "../../src/server/start-server.js";

/**
 * WEBHOOK_PROXY_URL (Probot's convention for development): Probot 14 loads
 * `smee-client` at run time and, when it is missing, only logs "install
 * smee-client" and receives nothing. It is a dependency now; here a local
 * event-stream server plays smee.io: a signed delivery sent down the stream
 * must reach the server's webhook endpoint and start a build.
 */
describe("WEBHOOK_PROXY_URL through smee-client", () => {
  const clients = new Set<http.ServerResponse>();
  const channel = http.createServer((req, res) => {
    if (req.url !== "/channel-abc") return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.write(": ready\n\n");
    clients.add(res);
    req.on("close", () => clients.delete(res));
  });
  let server: RunningServer | undefined;
  const lifecycle = process.env.npm_lifecycle_event;

  afterAll(async () => {
    if (lifecycle !== undefined) process.env.npm_lifecycle_event = lifecycle;
    await server?.stop({ graceMs: 500 });
    for (const res of clients) res.end();
    channel.closeAllConnections();
    await new Promise((resolve) => channel.close(resolve));
  });

  it("a delivery forwarded by the proxy channel starts a build", async () => {
    // As `ponyci serve` runs (node, systemd): not under npx, where Probot's loader would download smee-client instead.
    delete process.env.npm_lifecycle_event;
    await new Promise<void>((resolve) => channel.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(channel.address() as AddressInfo).port}/channel-abc`;
    const github = fakeGitHub();
    github.installationToken(INSTALLATION_ID, { times: 5 }).createCheckRun("pony", "proxied", { times: 5 }).updateCheckRun("pony", "proxied", undefined, { times: 10 });
    serveContents(github, "pony", "proxied", { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' }, 2);
    const sha = createHash("sha1").update("proxied").digest("hex");
    const runner = createScriptedRunner(mkdtempSync(path.join(tmpdir(), "ponyci-scripted-")), () => new Map([[sha, { "polls.tests.T.test_ok": "passed" as const }]]));
    server = await startTestServer({ runner, settings: testServerSettings({ WEBHOOK_PROXY_URL: url }) });
    await waitFor(() => (clients.size > 0 ? true : undefined), 30_000, "smee-client to connect to the channel");

    // What smee.io sends down the stream: the delivery's headers and its parsed body, as one JSON event.
    const payload = pushPayload({ dir: "/nonexistent/scripted", sha }, { fullName: "pony/proxied" });
    const event = { "x-github-event": "push", "x-github-delivery": randomUUID(), "x-hub-signature-256": await sign(WEBHOOK_SECRET, JSON.stringify(payload)), body: payload, timestamp: Date.now() };
    for (const res of clients) res.write(`data: ${JSON.stringify(event)}\n\n`);

    const build = await waitFor(() => server?.ponyci.store.findBuilds({ repo: "pony/proxied", sha })[0], 30_000, "the proxied push's build");
    expect(build).toMatchObject({ event: "push", branch: "main" });
  });
});
