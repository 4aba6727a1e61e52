/** When a build's people are told: a failed build, or a branch's first green build after red ones. */
export type NotifyEvent = "failure" | "recovery";

export const NOTIFY_EVENTS: readonly NotifyEvent[] = ["failure", "recovery"];

/**
 * `notify:` of `.github/ponyci.yml` or of a private repository's entry
 * (docs/notifications.md): who hears about this repository's builds, and when.
 */
export interface NotifyConfig {
  /** Email recipients (addresses only, no display names). */
  email: string[];
  /** Default both. */
  on: NotifyEvent[];
  /** URLs that get the build event as signed JSON. */
  webhook: string[];
  /** Slack incoming-webhook URLs. */
  slack: string[];
  /** Mattermost incoming-webhook URLs. */
  mattermost: string[];
}

export function createDefaultNotifyConfig(): NotifyConfig {
  return { email: [], on: [...NOTIFY_EVENTS], webhook: [], slack: [], mattermost: [] };
}

/** True when the config names nobody. */
export function isEmptyNotifyConfig(config: NotifyConfig): boolean {
  return config.email.length + config.webhook.length + config.slack.length + config.mattermost.length === 0;
}
