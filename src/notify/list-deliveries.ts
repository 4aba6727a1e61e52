import { createOutboxRows } from "../outbox/outbox-rows.js";
import type { OutboxRecord, OutboxState } from "../outbox/outbox.js";
import { FORGE_KEY_PREFIX, type ForgeStatusWrite } from "../forge/forge-status-write.js";
import type { StoreCore } from "../store/store-core.js";
import { NOTIFY_KEY_PREFIX, type NotificationWrite } from "./notification-write.js";

/** One notification of a build as the dashboard shows it: never a full URL (chat hooks carry their token in it). */
export interface Delivery {
  channel: NotificationWrite["channel"] | "forge status";
  /** Recipients of an email; the host of a URL. */
  target: string;
  state: OutboxState;
  attempts: number;
  lastError?: string;
  /** Addresses the mail server refused while accepting the others. */
  refused?: string[];
}

/** The notifications recorded for a build (the outbox's `notify:<id>:` rows), oldest first, then its forge statuses' latest write per context. */
export function listDeliveries(store: StoreCore, buildId: number): Delivery[] {
  const rows = createOutboxRows(store);
  const latest = new Map<string, OutboxRecord>();
  for (const record of rows.listByPrefix(`${FORGE_KEY_PREFIX}${buildId}:`)) latest.set(record.key, record);
  const forge = [...latest.values()].map((record): Delivery => {
    const w = record.payload as ForgeStatusWrite;
    const context = record.key.slice(`${FORGE_KEY_PREFIX}${buildId}:`.length);
    return {
      channel: "forge status",
      target: `${hostOf(w.url)} ${context}: ${String(w.body.state)}`,
      state: record.state,
      attempts: record.attempts,
      ...(record.lastError && record.state !== "sent" ? { lastError: record.lastError } : {}),
    };
  });
  return rows
    .listByPrefix(`${NOTIFY_KEY_PREFIX}${buildId}:`)
    .map((record): Delivery => {
      const w = record.payload as NotificationWrite;
      const target = w.channel === "email" ? w.to.join(", ") : hostOf(w.url);
      const refused = (record.response as { rejected?: string[] } | undefined)?.rejected;
      return {
        channel: w.channel,
        target,
        state: record.state,
        attempts: record.attempts,
        ...(record.lastError && record.state !== "sent" ? { lastError: record.lastError } : {}),
        ...(refused && refused.length > 0 ? { refused } : {}),
      };
    })
    .concat(forge);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}
