import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import nodemailer from "nodemailer";

const createSmtpTransport = (smtp: { url?: string; connectionTimeout: number; greetingTimeout: number; socketTimeout: number; tls?: { ca: string } }) => nodemailer.createTransport(smtp);
import { silentLogger, type Logger } from "../domain/logger.js";
import type { SendResult, SendWrite } from "../outbox/outbox.js";
import type { NotificationWrite } from "./notification-write.js";
import { createNotificationRateWindow } from "./notification-rate-window.js";
import type { StoreCore } from "../store/store-core.js";

export interface NotificationSenderOptions {
  /** smtp://… or smtps://… (PONYCI_SMTP_URL); without it email writes are rejected with the fix. */
  smtpUrl?: string;
  /** PEM CA for the SMTP server's certificate. */
  smtpCaFile?: string;
  from: string;
  /** HMAC key of webhook deliveries; without it webhook writes are rejected with the fix. */
  webhookSecret?: string;
  /** Messages per repository and hour, per channel. Default 30. */
  perRepoPerHour?: number;
  /**
   * The store whose outbox sends these writes: the rate window is read from
   * its sent notifications, so a restart does not reset it. Without it the
   * window lives in memory.
   */
  store?: StoreCore;
  /** Connection, greeting and HTTP deadlines. Default 10 s (SMTP socket inactivity: 3×). */
  timeoutMs?: number;
  log?: Logger;
  /** Default: the store's clock (the outbox's `done_at`), else Date.now. */
  now?: () => number;
}

/** The header of a webhook delivery's signature: GitHub's X-Hub-Signature-256 convention, under our name. */
export const WEBHOOK_SIGNATURE_HEADER = "X-PonyCI-Signature-256";

/**
 * The notifications' outbox send function: email through nodemailer, chat
 * and webhooks through fetch. Each write is bounded in time (a server that
 * hangs is a retry, not a stuck dispatcher) and per repository and channel
 * in rate (a sliding hour read from the outbox's sent notifications:
 * notification-rate-window.ts; a restart does not reset it). Refusals for good (a 5xx SMTP reply, all
 * recipients refused, HTTP 4xx) are `rejected`; the rest are retried with
 * the outbox's backoff. In doubt after a crash, a message is sent again:
 * SMTP has no idempotency, but a message is only lost or doubled if the
 * process dies between the server's "250 queued" and the outbox's record.
 */
export function createNotificationSender(options: NotificationSenderOptions): SendWrite {
  const log = options.log ?? silentLogger;
  const store = options.store;
  const now = options.now ?? (store ? () => store.clock.now() : Date.now);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const limit = options.perRepoPerHour ?? 30;
  const rate = createNotificationRateWindow({ limit, store, now });
  let transport: ReturnType<typeof createSmtpTransport> | undefined;

  const mailer = () => {
    transport ??= createSmtpTransport({
      url: options.smtpUrl,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs * 3,
      ...(options.smtpCaFile ? { tls: { ca: readFileSync(options.smtpCaFile, "utf8") } } : {}),
    });
    return transport;
  };

  const sendEmail = async (w: Extract<NotificationWrite, { channel: "email" }>): Promise<SendResult> => {
    if (!options.smtpUrl) return { status: "rejected", reason: "no mail server: set PONYCI_SMTP_URL (e.g. smtp://user:password@mail.example.com:587)" };
    try {
      const info = await mailer().sendMail({ from: options.from, to: w.to, subject: w.subject, text: w.text, html: w.html, messageId: w.messageId });
      const rejected = (info.rejected as unknown[]).map(String);
      return { status: "sent", response: { accepted: (info.accepted as unknown[]).map(String), rejected, response: String(info.response).slice(0, 200) } };
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; message?: string; rejected?: unknown[] };
      const reason = `${e.code ?? "SMTP"}: ${(e.message ?? String(error)).split("\n")[0]?.slice(0, 300)}`;
      // 5xx: the server refused for good (every recipient, or the message); 4xx and network: try later.
      if (e.responseCode !== undefined && e.responseCode >= 500) return { status: "rejected", reason };
      return { status: "retry", reason };
    }
  };

  const post = async (url: string, body: string, headers: Record<string, string>): Promise<SendResult> => {
    try {
      const response = await fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json", "User-Agent": "ponyci-notify/1", ...headers }, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return { status: "sent", response: { status: response.status } };
      const reason = `HTTP ${response.status} from ${new URL(url).host}`;
      if (response.status === 408 || response.status === 429 || response.status >= 500) {
        const retryAfter = Number(response.headers.get("retry-after"));
        return { status: "retry", reason, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: Math.min(retryAfter, 3_600) * 1000 } : {}) };
      }
      return { status: "rejected", reason };
    } catch (error) {
      return { status: "retry", reason: `${new URL(url).host}: ${(error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (error as Error).message}` };
    }
  };

  return async (write) => {
    const w = write.payload as NotificationWrite;
    const wait = rate.waitFor(w.repo, w.channel);
    if (wait !== undefined) return { status: "retry", reason: `rate limit: ${limit} messages per hour for ${w.repo}`, retryAfterMs: wait };
    let result: SendResult;
    switch (w.channel) {
      case "email":
        result = await sendEmail(w);
        break;
      case "webhook": {
        if (!options.webhookSecret) return { status: "rejected", reason: "webhook deliveries are signed: set PONYCI_NOTIFY_SECRET (openssl rand -hex 32)" };
        const signature = `sha256=${createHmac("sha256", options.webhookSecret).update(w.body).digest("hex")}`;
        result = await post(w.url, w.body, { [WEBHOOK_SIGNATURE_HEADER]: signature, "X-PonyCI-Delivery": w.deliveryId });
        break;
      }
      case "slack":
      case "mattermost":
        result = await post(w.url, JSON.stringify({ text: w.text }), {});
        break;
      default:
        return { status: "rejected", reason: `unknown notification channel ${String((w as { channel?: unknown }).channel)}` };
    }
    if (result.status === "sent") rate.sent(w.repo, w.channel);
    else log.warn({ key: write.key, reason: result.reason }, "notify: delivery failed");
    return result;
  };
}
