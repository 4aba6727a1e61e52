import { createOutboxRows } from "../outbox/outbox-rows.js";
import type { OutboxState } from "../outbox/outbox.js";
import type { StoreCore } from "../store/store-core.js";
import { NOTIFY_KEY_PREFIX, type NotificationWrite } from "./notification-write.js";

/** One notification of a build as the dashboard shows it: never a full URL (chat hooks carry their token in it). */
export interface Delivery {
  channel: NotificationWrite["channel"];
  /** Recipients of an email; the host of a URL. */
  target: string;
  state: OutboxState;
  attempts: number;
  lastError?: string;
  /** Addresses the mail server refused while accepting the others. */
  refused?: string[];
}

/** The notifications recorded for a build (the outbox's `notify:<id>:` rows), oldest first. */
export function listDeliveries(store: StoreCore, buildId: number): Delivery[] {
  return createOutboxRows(store)
    .listByPrefix(`${NOTIFY_KEY_PREFIX}${buildId}:`)
    .map((record) => {
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
    });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}
