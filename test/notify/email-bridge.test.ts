import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadPrivateRepos } from "../../src/bridge/load-private-repos.js";
import { listDeliveries } from "../../src/notify/list-deliveries.js";
import { renderBuildPage } from "../../src/web/render-build-page.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { startSmtpTestServer, type SmtpTestServer } from "../support/smtp-test-server.js";
import { startBridgeServer, type BridgeTestServer } from "../bridge/bridge-server.js";
import { createBareRepo, git, hookLine, installHookWithCli, queuedBuildIds, writeSecretFile } from "../bridge/git-server.js";

const PUBLIC_URL = "http://ci.example.test";
const BROKEN_TEST = [
  "from django.test import SimpleTestCase",
  "",
  "",
  "class BrokenTests(SimpleTestCase):",
  "    def test_arithmetic(self):",
  "        self.assertEqual(1 + 1, 3)  # line 6",
  "",
].join("\n");

/**
 * Issue 26, email: a private repository behind the bridge with `notify:` in
 * the operator's file; real pushes through the installed hook, real builds
 * in Docker, a real SMTP server on 127.0.0.1 (STARTTLS + AUTH). One message
 * per failed build and per recovery, none for green after green; a mail
 * server that hangs or refuses never touches a build, and the build page
 * says what happened to the message.
 */
describe("email, chat and webhooks about a private repository's builds", () => {
  const SECRET = "0123456789abcdef0123456789abcdef";
  let smtp: SmtpTestServer;
  let server: BridgeTestServer;
  let clone: FixtureRepo;
  let hooks: Server;
  const hookHits: { path: string; signature?: string; body: string }[] = [];

  beforeAll(async () => {
    // A chat server that takes messages, and a webhook receiver that answers 500 to everything.
    hooks = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        hookHits.push({ path: req.url ?? "", signature: req.headers["x-ponyci-signature-256"] as string | undefined, body });
        res.writeHead(req.url === "/broken-hook" ? 500 : 200).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, "127.0.0.1", resolve));
    const hooksUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    smtp = await startSmtpTestServer();
    smtp.refuse.add("gone@example.com");
    const config = mkdtempSync(path.join(tmpdir(), "ponyci-notify-config-"));
    const secretFile = writeSecretFile(config, "mail-project", SECRET);
    const bare = await createBareRepo("mail-project");
    const reposFile = path.join(config, "private-repos.yml");
    writeFileSync(
      reposFile,
      ["repositories:", "  - name: mail-project", `    url: ${bare}`, "    branches: [main]", "    secret_file: mail-project.secret", "    notify:", "      email: [team@example.com, gone@example.com]", "      on: [failure, recovery]", `      webhook: [${hooksUrl}/broken-hook]`, `      mattermost: [${hooksUrl}/mattermost]`, ""].join("\n"),
    );
    server = await startBridgeServer({
      repos: loadPrivateRepos(reposFile),
      run: true,
      notify: { sender: { smtpUrl: smtp.url, smtpCaFile: smtp.caFile, from: "Pony CI <ci@ci.example.test>", timeoutMs: 1_000, webhookSecret: "notify-secret-0123456789" }, publicUrl: PUBLIC_URL, backoff: () => 100 },
    });
    await installHookWithCli(bare, { repo: "mail-project", url: server.url, secretFile });
    clone = await createFixtureRepo("bridge-project");
    await git(clone.dir, ["remote", "add", "origin", bare]);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await new Promise<void>((resolve) => (hooks ? hooks.close(() => resolve()) : resolve()));
  });

  /** Pushes main, waits for its build and for the notifications' outbox to settle. */
  const pushAndBuild = async () => {
    const push = await git(clone.dir, ["push", "origin", "main"]);
    expect(push.exitCode).toBe(0);
    const [id] = queuedBuildIds(hookLine(push.all));
    const build = await server.waitForBuild(id as number);
    await server.notifications?.drain();
    return build;
  };
  const page = (buildId: number) => {
    const build = server.store.getBuild(buildId);
    if (!build) throw new Error(`no build #${buildId}`);
    const jobs = server.store.listJobs(buildId);
    const failures = new Map(jobs.map((job) => [job.id, server.store.listTestResults(job.id, { outcomes: ["failed", "error"] })]));
    return renderBuildPage({ build, jobs, failures, cellFailures: server.store.listCellFailures(buildId), canAct: false, now: Date.now(), viewer: { kind: "anonymous" }, csrf: "x", deliveries: listDeliveries(server.store, buildId) });
  };

  it("says nothing about a first green build, one message when it fails, one when it recovers, nothing for green after green", async () => {
    const green = await pushAndBuild();
    expect(green.status.conclusion).toBe("success");
    expect(smtp.received).toHaveLength(0);
    expect(listDeliveries(server.store, green.id)).toEqual([]);

    await clone.commit("a broken test", { "notes/test_broken.py": BROKEN_TEST });
    const failed = await pushAndBuild();
    expect(failed.status.conclusion).toBe("failure");
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0];
    expect(mail?.to).toEqual(["team@example.com"]);
    expect(mail?.mail.subject).toBe(`[Pony CI] mail-project main: build #${failed.id} failed (${failed.sha.slice(0, 7)})`);
    const text = mail?.mail.text ?? "";
    expect(text).toContain(`${PUBLIC_URL}/builds/${failed.id}`);
    expect(text).toMatch(/✗ Python 3\.11 · Django 5\.2 {2}failure {2}3 passed, 1 failed/);
    expect(text).toContain("notes.test_broken.BrokenTests.test_arithmetic  [new failure, Python 3.11 · Django 5.2]");
    expect(text).toContain("at notes/test_broken.py:6");
    expect(text).toMatch(/AssertionError: 2 != 3/);
    expect(mail?.mail.html).toContain(`href="${PUBLIC_URL}/builds/${failed.id}"`);
    // The build page shows the same bucket, stored with the cell's verdict by the real pipeline.
    expect(page(failed.id)).toMatch(/<h3 data-bucket="new">New failures \(1\)<\/h3>\s*<ul class="bucket b-new"><li data-test="notes.test_broken.BrokenTests.test_arithmetic"><code>[^<]+<\/code> at <code>notes\/test_broken.py:6<\/code>/);
    // The refused address is recorded, and shown: the other recipient got the message.
    const deliveries = listDeliveries(server.store, failed.id);
    expect(deliveries.find((d) => d.channel === "email")).toEqual({ channel: "email", target: "team@example.com, gone@example.com", state: "sent", attempts: 1, refused: ["gone@example.com"] });
    // The webhook endpoint answered 500 every time: retried with backoff, then given up; the build did not wait for it.
    const port = (hooks.address() as AddressInfo).port;
    expect(deliveries.find((d) => d.channel === "webhook")).toEqual({ channel: "webhook", target: `127.0.0.1:${port}`, state: "failed", attempts: 12, lastError: `HTTP 500 from 127.0.0.1:${port}` });
    expect(deliveries.find((d) => d.channel === "mattermost")).toMatchObject({ state: "sent", attempts: 1 });
    expect(page(failed.id)).toMatch(new RegExp(`<td>webhook</td><td>127.0.0.1:${port}</td><td class="error">failed</td><td>12</td><td>HTTP 500 from 127.0.0.1:${port}</td>`));
    const webhookHit = hookHits.find((h) => h.path === "/broken-hook");
    expect(JSON.parse(webhookHit?.body ?? "{}")).toMatchObject({ type: "ponyci.build.failure", build: { buildId: failed.id, repo: "mail-project", conclusion: "failure", failures: [{ test: "notes.test_broken.BrokenTests.test_arithmetic", bucket: "new", location: "notes/test_broken.py:6" }] } });
    expect(webhookHit?.signature).toBe(`sha256=${createHmac("sha256", "notify-secret-0123456789").update(webhookHit?.body ?? "").digest("hex")}`);
    expect(JSON.parse(hookHits.find((h) => h.path === "/mattermost")?.body ?? "{}").text).toContain(`[build #${failed.id} failed](${PUBLIC_URL}/builds/${failed.id})`);
    expect(page(failed.id)).toMatch(/<td>email<\/td><td>team@example.com, gone@example.com<\/td><td class="">sent, some refused<\/td><td>1<\/td><td>refused: gone@example.com<\/td>/);

    await clone.commit("fix the test", { "notes/test_broken.py": BROKEN_TEST.replace("1 + 1, 3", "1 + 1, 2") });
    const recovered = await pushAndBuild();
    expect(recovered.status.conclusion).toBe("success");
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]?.mail.subject).toBe(`[Pony CI] mail-project main: build #${recovered.id} is green again (${recovered.sha.slice(0, 7)})`);

    await clone.commit("more green", { "notes/test_more.py": "from django.test import SimpleTestCase\n\n\nclass More(SimpleTestCase):\n    def test_more(self):\n        self.assertTrue(1)\n" });
    const again = await pushAndBuild();
    expect(again.status.conclusion).toBe("success");
    expect(smtp.received).toHaveLength(2);
    expect(listDeliveries(server.store, again.id)).toEqual([]);
    expect(hookHits.filter((h) => h.path === "/mattermost")).toHaveLength(2);
  }, 600_000);

  it("a mail server that hangs, then refuses: the build ends as it would, and its page shows the delivery retrying, then failed", async () => {
    smtp.mode = "hang";
    await clone.commit("broken again", { "notes/test_broken.py": BROKEN_TEST });
    const push = await git(clone.dir, ["push", "origin", "main"]);
    const [id] = queuedBuildIds(hookLine(push.all));
    const build = await server.waitForBuild(id as number);
    expect(build.status).toEqual({ state: "finished", conclusion: "failure", jobs: expect.any(Number) });
    const waitFor = async (what: string, ok: () => boolean) => {
      for (const until = Date.now() + 60_000; Date.now() < until; ) {
        if (ok()) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(listDeliveries(server.store, build.id))}`);
    };
    const mail = () => listDeliveries(server.store, build.id).find((d) => d.channel === "email");
    await waitFor("a failed try", () => (mail()?.lastError ?? "") !== "");
    expect(mail()).toMatchObject({ channel: "email", state: expect.stringMatching(/pending|sending/) });
    expect(page(build.id)).toMatch(/<td class="">retrying<\/td><td>\d+<\/td><td>[^<]*(Greeting never received|ETIMEDOUT)/);

    smtp.mode = "refuse";
    await waitFor("the refusal", () => mail()?.state === "failed");
    expect(page(build.id)).toMatch(/<td class="error">failed<\/td><td>\d+<\/td><td>[^<]*Service refused: no mail from you/);
    expect(smtp.received).toHaveLength(2);
    smtp.mode = "accept";
  }, 300_000);
});
