import { oneOrMany } from "../../config/one-or-many.js";

const urlList = (key: string) => ({
  ...oneOrMany({ type: "string", pattern: "^\\s*[hH][tT][tT][pP][sS]?://", errorMessage: `\`${key}:\` takes http(s) URLs, not {value}` }, { maxItems: 20, uniqueItems: true, errorMessage: `\`${key}:\` lists at most 20 http(s) URLs` }),
  description: `${key} URLs to call (http or https, no user or password), at most 20.`,
});

/** The JSON Schema of `notify:` (read by read-notify-key.ts), part of both config files' schemas: who hears about failed and recovered builds. */
export const notifySchema = {
  type: "object",
  description: "Who hears about failed and recovered builds (docs/notifications.md).",
  additionalProperties: false,
  errorMessage: "`notify:` must be a mapping, e.g. `notify: {email: [team@example.com], on: [failure, recovery]}`",
  properties: {
    email: { ...oneOrMany({ type: "string", maxLength: 254, pattern: "^\\s*[^@\\s]+@[^@\\s]+\\s*$", errorMessage: "\"{value}\" is not an email address: write the address alone, e.g. team@example.com" }, { maxItems: 20, uniqueItems: true, errorMessage: "`email:` lists at most 20 addresses" }), description: "Addresses to mail, at most 20." },
    on: { ...oneOrMany({ enum: ["failure", "recovery"], errorMessage: '`on:` takes failure and recovery, not "{value}"' }, { uniqueItems: true, errorMessage: "`on:` lists failure and/or recovery" }), description: "Which builds: failure, recovery (default both)." },
    webhook: urlList("webhook"),
    slack: urlList("slack"),
    mattermost: urlList("mattermost"),
  },
} as const;
