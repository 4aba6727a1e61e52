/**
 * What the notifications' outbox carries: one write per channel and build,
 * keyed `notify:<buildId>:<channel>[:<n>]`, everything the sender needs
 * already rendered (a restart sends what was decided, not a new rendering).
 * Secrets are never stored here: the sender holds them.
 */
export type NotificationWrite =
  | { channel: "email"; repo: string; to: string[]; subject: string; text: string; html: string; messageId: string }
  | { channel: "webhook"; repo: string; url: string; body: string; deliveryId: string }
  | { channel: "slack" | "mattermost"; repo: string; url: string; text: string };

export const NOTIFY_KEY_PREFIX = "notify:";

/** Whom the notifications' lane writes to, as its logs say (`OutboxOptions.target`). */
export const NOTIFY_TARGET = "the mail server or notification URL";

export function notifyKey(buildId: number, channel: string): string {
  return `${NOTIFY_KEY_PREFIX}${buildId}:${channel}`;
}
