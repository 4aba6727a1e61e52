import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNotificationSender, WEBHOOK_SIGNATURE_HEADER } from "../../src/notify/create-notification-sender.js";
import type { NotificationWrite } from "../../src/notify/notification-write.js";
import type { PendingWrite, SendResult } from "../../src/outbox/outbox.js";
import { startSmtpTestServer, type SmtpTestServer } from "../support/smtp-test-server.js";
import { NOTIFY_KEY_PREFIX, NOTIFY_TARGET } from "../../src/notify/notification-write.js";
import { createOutbox } from "../../src/outbox/create-outbox.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";

/** The sender against a real SMTP server (STARTTLS required, AUTH) and a real HTTP endpoint on 127.0.0.1. */
describe("createNotificationSender", () => {
  let smtp: SmtpTestServer;
  let http: Server;
  let httpUrl: string;
  const hits: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    http = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        hits.push({ path: req.url ?? "", headers: req.headers, body });
        const status = Number(/\/status\/(\d+)/.exec(req.url ?? "")?.[1] ?? 200);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await smtp?.close();
    await new Promise<void>((resolve) => http?.close(() => resolve()));
  });

  let id = 0;
  const send = (sender: ReturnType<typeof createNotificationSender>, payload: NotificationWrite): Promise<SendResult> => {
    const write: PendingWrite = { id: ++id, key: `notify:${id}:${payload.channel}`, kind: payload.channel, payload, attempt: 1 };
    return sender(write, { inDoubt: false });
  };
  const email = (to: string[], repo = "proj"): NotificationWrite => ({ channel: "email", repo, to, subject: `subject ${id + 1}`, text: "body text\n", html: "<p>body</p>", messageId: `<m${id + 1}@ci.test>` });
  const mailer = (extra: Partial<Parameters<typeof createNotificationSender>[0]> = {}) =>
    createNotificationSender({ smtpUrl: smtp.url, smtpCaFile: smtp.caFile, from: "Pony CI <ci@ci.test>", timeoutMs: 1_000, ...extra });

  it("delivers over STARTTLS with authentication", async () => {
    smtp.mode = "accept";
    const result = await send(mailer(), email(["dev@example.com", "lead@example.com"]));
    expect(result).toMatchObject({ status: "sent", response: { accepted: ["dev@example.com", "lead@example.com"], rejected: [] } });
    const got = smtp.received.at(-1);
    expect(got?.to).toEqual(["dev@example.com", "lead@example.com"]);
    expect(got?.mail.subject).toBe(`subject ${id}`);
    expect(got?.mail.text).toBe("body text\n");
    expect(got?.mail.messageId).toBe(`<m${id}@ci.test>`);
  });

  it("refuses to send without TLS trust: a server whose certificate it cannot check is a retry, not a plaintext send", async () => {
    const before = smtp.received.length;
    const result = await send(mailer({ smtpCaFile: undefined }), email(["dev@example.com"]));
    expect(result.status).toBe("retry");
    expect(smtp.received.length).toBe(before);
  });

  it("a refused address among good ones: the others get it and the refusal is recorded", async () => {
    smtp.refuse.add("nobody@example.com");
    const result = await send(mailer(), email(["nobody@example.com", "dev@example.com"]));
    expect(result).toMatchObject({ status: "sent", response: { accepted: ["dev@example.com"], rejected: ["nobody@example.com"] } });
  });

  it("every address refused: rejected for good, with the server's reason", async () => {
    const result = await send(mailer(), email(["nobody@example.com"]));
    expect(result.status).toBe("rejected");
    expect((result as { reason: string }).reason).toMatch(/EENVELOPE|No such user|recipients/i);
  });

  it("a server that refuses service: rejected; one that hangs: retried after the deadline", async () => {
    smtp.mode = "refuse";
    const refused = await send(mailer(), email(["dev@example.com"]));
    expect(refused.status).toBe("rejected");
    expect((refused as { reason: string }).reason).toMatch(/Service refused/);
    smtp.mode = "hang";
    const hung = await send(mailer(), email(["dev@example.com"]));
    expect(hung.status).toBe("retry");
    expect((hung as { reason: string }).reason).toMatch(/ETIMEDOUT|Greeting never received|timeout/i);
    smtp.mode = "accept";
  });

  it("no PONYCI_SMTP_URL: rejected with the fix", async () => {
    const result = await send(createNotificationSender({ from: "ci@ci.test" }), email(["dev@example.com"]));
    expect(result).toEqual({ status: "rejected", reason: expect.stringContaining("PONYCI_SMTP_URL") });
  });

  it("bounds each repository's rate: past the limit a message waits its turn", async () => {
    let now = 1_000_000;
    const sender = mailer({ perRepoPerHour: 1, now: () => now });
    expect((await send(sender, email(["dev@example.com"], "busy"))).status).toBe("sent");
    const second = await send(sender, email(["dev@example.com"], "busy"));
    expect(second).toMatchObject({ status: "retry", retryAfterMs: 3_600_000 });
    expect((await send(sender, email(["dev@example.com"], "quiet"))).status).toBe("sent");
    now += 3_600_001;
    expect((await send(sender, email(["dev@example.com"], "busy"))).status).toBe("sent");
  });

  it("keeps each repository's rate window across a restart: it is read from the store's sent notifications", async () => {
    const temp = makeTempDir("ponyci-notify-rate-");
    const lane = (store: Store) =>
      createOutbox({ store, send: createNotificationSender({ from: "x", timeoutMs: 1_000, perRepoPerHour: 1, store }), lane: { only: NOTIFY_KEY_PREFIX }, target: NOTIFY_TARGET });
    const chat = (repo: string, text: string): NotificationWrite => ({ channel: "slack", repo, url: `${httpUrl}/rate/${repo}`, text });
    const rateHits = () => hits.filter((hit) => hit.path.startsWith("/rate/")).map((hit) => `${hit.path} ${JSON.parse(hit.body).text as string}`);
    try {
      let store = openStore({ dataDir: temp.dir });
      let outbox = lane(store);
      outbox.enqueue({ key: "notify:1:slack:0", kind: "slack", payload: chat("busy", "build 1 failed") });
      outbox.start();
      await outbox.drain();
      await outbox.stop();
      store.close();
      // The restart: a new store connection, a new sender with nothing in memory.
      store = openStore({ dataDir: temp.dir });
      outbox = lane(store);
      outbox.enqueue({ key: "notify:2:slack:0", kind: "slack", payload: chat("busy", "build 2 failed") });
      outbox.enqueue({ key: "notify:3:slack:0", kind: "slack", payload: chat("quiet", "build 3 failed") });
      outbox.start();
      const settled = () => outbox.list().filter((w) => w.state === "sent" || (w.state === "pending" && w.attempts > 0)).length === 3;
      for (let i = 0; i < 500 && !settled(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await outbox.stop();
      expect(outbox.list().map((w) => [w.key, w.state, w.lastError])).toEqual([
        ["notify:1:slack:0", "sent", undefined],
        ["notify:2:slack:0", "pending", "rate limit: 1 messages per hour for busy"],
        ["notify:3:slack:0", "sent", undefined],
      ]);
      expect(rateHits()).toEqual(["/rate/busy build 1 failed", "/rate/quiet build 3 failed"]);
      store.close();
    } finally {
      temp.remove();
    }
  });

  it("signs webhook deliveries with HMAC-SHA256 of the body; 5xx is retried, 4xx rejected", async () => {
    const sender = createNotificationSender({ from: "x", webhookSecret: "0123456789abcdef-secret", timeoutMs: 1_000 });
    const body = JSON.stringify({ type: "ponyci.build.failure" });
    const ok = await send(sender, { channel: "webhook", repo: "proj", url: `${httpUrl}/hook`, body, deliveryId: "1-failure-0" });
    expect(ok).toEqual({ status: "sent", response: { status: 200 } });
    const hit = hits.at(-1);
    expect(hit?.body).toBe(body);
    expect(hit?.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()]).toBe(`sha256=${createHmac("sha256", "0123456789abcdef-secret").update(body).digest("hex")}`);
    expect(hit?.headers["x-ponyci-delivery"]).toBe("1-failure-0");
    expect((await send(sender, { channel: "webhook", repo: "proj", url: `${httpUrl}/status/500`, body, deliveryId: "x" })).status).toBe("retry");
    expect((await send(sender, { channel: "webhook", repo: "proj", url: `${httpUrl}/status/404`, body, deliveryId: "x" })).status).toBe("rejected");
    expect(await send(createNotificationSender({ from: "x" }), { channel: "webhook", repo: "proj", url: `${httpUrl}/hook`, body, deliveryId: "x" })).toEqual({ status: "rejected", reason: expect.stringContaining("PONYCI_NOTIFY_SECRET") });
  });

  it("posts Slack and Mattermost incoming-webhook messages as {text}", async () => {
    const sender = createNotificationSender({ from: "x", timeoutMs: 1_000 });
    expect((await send(sender, { channel: "slack", repo: "proj", url: `${httpUrl}/slack`, text: "build #1 failed" })).status).toBe("sent");
    expect(JSON.parse(hits.at(-1)?.body ?? "{}")).toEqual({ text: "build #1 failed" });
    expect((await send(sender, { channel: "mattermost", repo: "proj", url: `${httpUrl}/mm`, text: "hi" })).status).toBe("sent");
    expect(hits.at(-1)?.path).toBe("/mm");
  });
});
