import type { StoreCore } from "../store/store-core.js";
import { NOTIFY_KEY_PREFIX } from "./notification-write.js";

export interface NotificationRateWindowOptions {
  /** Messages per repository and channel in any hour. */
  limit: number;
  /**
   * The store whose outbox holds the notifications: the window is read from
   * its sent `notify:` writes, so a restart forgets nothing. Without it the
   * window is kept in memory (one-shot senders and tests).
   */
  store?: StoreCore;
  now: () => number;
}

/** How many messages a repository may send per channel in a sliding hour (create-notification-sender.ts asks before each send). */
export interface NotificationRateWindow {
  /** Undefined when `repo` may send on `channel` now; else how long until it may. */
  waitFor(repo: string, channel: string): number | undefined;
  /** A message went out (a no-op with a store: the outbox records it as sent). */
  sent(repo: string, channel: string): void;
}

const HOUR_MS = 3_600_000;

/**
 * The per-repository rate of notifications. With a store, the sent
 * notifications are the outbox's own rows (state `sent`, `done_at` when the
 * server took it, the repository and channel in the payload): no second
 * record to keep in step, and the outbox keeps sent rows for days, far
 * longer than the hour looked at. The query walks the `notify:` key range
 * of the outbox's key index, never the GitHub writes.
 */
export function createNotificationRateWindow(options: NotificationRateWindowOptions): NotificationRateWindow {
  const { limit, now } = options;
  const store = options.store;
  if (!store) {
    const times = new Map<string, number[]>();
    return {
      waitFor(repo, channel) {
        const key = `${repo} ${channel}`;
        const recent = (times.get(key) ?? []).filter((at) => at > now() - HOUR_MS);
        times.set(key, recent);
        return recent.length < limit ? undefined : (recent[0] as number) + HOUR_MS - now();
      },
      sent(repo, channel) {
        const key = `${repo} ${channel}`;
        times.set(key, [...(times.get(key) ?? []), now()]);
      },
    };
  }
  // `key >= 'notify:' AND key < 'notify;'` is the prefix as a range (';' follows ':'), which the key index serves.
  const end = `${NOTIFY_KEY_PREFIX.slice(0, -1)}${String.fromCharCode(NOTIFY_KEY_PREFIX.charCodeAt(NOTIFY_KEY_PREFIX.length - 1) + 1)}`;
  const select = store.sqlite.prepare<[string, string, number, string, string, number], { done_at: number }>(
    `SELECT done_at FROM outbox WHERE key >= ? AND key < ? AND state = 'sent' AND done_at > ?
       AND json_extract(payload_json, '$.repo') = ? AND json_extract(payload_json, '$.channel') = ?
     ORDER BY done_at DESC LIMIT ?`,
  );
  return {
    waitFor(repo, channel) {
      const at = now();
      const recent = store.read("read the notifications sent in the last hour", () => select.all(NOTIFY_KEY_PREFIX, end, at - HOUR_MS, repo, channel, limit));
      // The newest `limit` sends: when there are that many, the oldest of them leaves the window first.
      return recent.length < limit ? undefined : (recent.at(-1) as { done_at: number }).done_at + HOUR_MS - at;
    },
    sent() {},
  };
}
