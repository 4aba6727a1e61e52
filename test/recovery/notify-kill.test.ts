import { afterAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { listDeliveries } from "../../src/notify/list-deliveries.js";
import { openStore } from "../../src/store/open-store.js";
import { createBareRepo, git, hookLine, installHookWithCli, queuedBuildIds, writeSecretFile } from "../bridge/git-server.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { startFakeGitHubServer, type FakeGitHubServer } from "../support/fake-github-server.js";
import { APP_ID, WEBHOOK_SECRET, testPrivateKey } from "../support/signed-webhooks.js";
import { startSmtpTestServer, type SmtpTestServer } from "../support/smtp-test-server.js";
import { killPonyCi, startPonyCi, type PonyCiProcess } from "./support/ponyci-process.js";

/**
 * Issue 26: `kill -9` between a build's end and its email's delivery. The
 * mail server hangs (accepts the connection, never greets) so the message
 * is in flight when the server dies; after the restart it is sent, once.
 * Real `ponyci serve` processes, a real push through the bridge's hook, real
 * Docker, a real SMTP server.
 */
describe("ponyci serve killed between a build's end and its email", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it("delivers exactly one message after the restart", async () => {
    const smtp: SmtpTestServer = await startSmtpTestServer();
    cleanup.push(() => smtp.close());
    const github: FakeGitHubServer = await startFakeGitHubServer();
    cleanup.push(() => github.close());
    const config = mkdtempSync(path.join(tmpdir(), "ponyci-notify-kill-"));
    const dataDir = path.join(config, "data");
    cleanup.push(() => rmSync(config, { recursive: true, force: true }));
    const secretFile = writeSecretFile(config, "kill-project", "0123456789abcdef0123456789abcdef");
    const bare = await createBareRepo("kill-project");
    const reposFile = path.join(config, "private-repos.yml");
    writeFileSync(reposFile, ["repositories:", "  - name: kill-project", `    url: ${bare}`, `    secret_file: ${secretFile}`, "    notify:", "      email: [team@example.com]", ""].join("\n"));
    const env = { PONYCI_PRIVATE_REPOS: reposFile, PONYCI_SMTP_URL: smtp.url, PONYCI_SMTP_CA: smtp.caFile };
    const serve = () => startPonyCi({ dataDir, githubUrl: github.url, appId: APP_ID, privateKey: testPrivateKey(), webhookSecret: WEBHOOK_SECRET, env });
    const servers: PonyCiProcess[] = [];
    cleanup.push(async () => {
      for (const server of servers) await killPonyCi(server);
    });

    const first = await serve();
    servers.push(first);
    await installHookWithCli(bare, { repo: "kill-project", url: `http://127.0.0.1:${first.port}`, secretFile });
    const clone = await createFixtureRepo("bridge-project");
    await git(clone.dir, ["remote", "add", "origin", bare]);
    await clone.commit("a broken test", { "notes/test_broken.py": "from django.test import SimpleTestCase\n\n\nclass Broken(SimpleTestCase):\n    def test_it(self):\n        self.assertEqual(1, 2)\n" });

    smtp.mode = "hang";
    const push = await git(clone.dir, ["push", "origin", "main"]);
    const [buildId] = queuedBuildIds(hookLine(push.all));
    // The build ended and its message is on its way: the mail server holds the connection.
    for (const until = Date.now() + 300_000; smtp.connections() === 0; ) {
      if (Date.now() > until || !first.running()) throw new Error(`no SMTP connection:\n${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    first.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(smtp.received).toHaveLength(0);

    smtp.mode = "accept";
    const second = await serve();
    servers.push(second);
    for (const until = Date.now() + 60_000; smtp.received.length === 0; ) {
      if (Date.now() > until) throw new Error(`no message after the restart:\n${second.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The sweep at start must not add a second decision, nor the resend a second message.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    second.kill("SIGTERM");
    expect((await second.exited).code).toBe(0);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]?.mail.subject).toMatch(new RegExp(`^\\[Pony CI\\] kill-project main: build #${buildId} failed`));

    const store = openStore({ dataDir });
    try {
      expect(store.getBuild(buildId as number)?.status).toMatchObject({ state: "finished", conclusion: "failure" });
      expect(listDeliveries(store, buildId as number)).toEqual([{ channel: "email", target: "team@example.com", state: "sent", attempts: 2 }]);
    } finally {
      store.close();
    }
  }, 480_000);
});
