import { isMap, isScalar, isSeq, type Node } from "yaml";
import { createDefaultNotifyConfig, NOTIFY_EVENTS, type NotifyConfig, type NotifyEvent } from "./notify-config.js";

/** What a config reader lends: a failure at a node (its file and line) and alias resolution. */
export interface NotifyNodeTools {
  fail(node: Node, problem: string): never;
  resolve(node: Node | null | undefined): Node | null;
}

/** At most this many entries per list: a bound on the mail and requests one build can cause. */
export const MAX_NOTIFY_ENTRIES = 20;
/** An address without display name, comments or quoting: what SMTP's RCPT TO takes as it is. */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;
const KEYS = ["email", "on", "webhook", "slack", "mattermost"] as const;
const EXAMPLE = "`notify: {email: [team@example.com], on: [failure, recovery]}`";

/**
 * Reads a `notify:` mapping (pure; errors name the line and the fix).
 * Addresses are checked strictly, URLs must be http(s) without credentials
 * in a fragment; whether a URL may be called is the caller's decision.
 */
export function readNotifyKey(node: Node | null, keyNode: Node, tools: NotifyNodeTools): NotifyConfig {
  const config = createDefaultNotifyConfig();
  if (node === null || !isMap(node)) return tools.fail(node ?? keyNode, `\`notify:\` must be a mapping, e.g. ${EXAMPLE}`);
  for (const pair of node.items) {
    const k = pair.key as Node;
    const key = isScalar(k) ? String(k.value) : "";
    const value = tools.resolve(pair.value as Node | null);
    switch (key) {
      case "email":
        config.email = readList(value, k, "email", "[team@example.com]").map(({ text, item }) => {
          if (!EMAIL.test(text) || text.length > 254) tools.fail(item, `"${text}" is not an email address: write the address alone, e.g. team@example.com`);
          return text.toLowerCase();
        });
        break;
      case "on":
        config.on = readList(value, k, "on", "[failure, recovery]").map(({ text, item }) => {
          if (!(NOTIFY_EVENTS as readonly string[]).includes(text)) tools.fail(item, `\`on:\` takes ${NOTIFY_EVENTS.join(" and ")}, not "${text}"`);
          return text as NotifyEvent;
        });
        break;
      case "webhook":
      case "slack":
      case "mattermost":
        config[key] = readList(value, k, key, "[https://chat.example.com/hooks/xyz]").map(({ text, item }) => checkUrl(text, item, key));
        break;
      default:
        tools.fail(k, `unknown key \`${key}\` in \`notify:\`: the keys are ${KEYS.join(", ")}`);
    }
  }
  return config;

  function readList(value: Node | null, k: Node, key: string, example: string): { text: string; item: Node }[] {
    const items = value !== null && isSeq(value) ? (value.items as (Node | null)[]).map((item) => tools.resolve(item)) : [value];
    if (items.length > MAX_NOTIFY_ENTRIES) tools.fail(value ?? k, `\`${key}:\` lists ${items.length} entries; at most ${MAX_NOTIFY_ENTRIES} are allowed`);
    const seen = new Set<string>();
    return items.map((item) => {
      if (item === null || !isScalar(item) || typeof item.value !== "string" || item.value.trim() === "") {
        return tools.fail(item ?? value ?? k, `\`${key}:\` must be a list of strings, e.g. \`${key}: ${example}\``);
      }
      const text = item.value.trim();
      if (seen.has(text)) tools.fail(item, `\`${key}:\` lists "${text}" twice`);
      seen.add(text);
      return { text, item };
    });
  }

  function checkUrl(text: string, item: Node, key: string): string {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return tools.fail(item, `"${text}" is not a URL: \`${key}:\` takes http(s) URLs`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") tools.fail(item, `\`${key}:\` takes http(s) URLs, not ${url.protocol}`);
    if (url.username || url.password) tools.fail(item, `\`${key}:\` URLs carry no user or password: the hook's own token is in its path`);
    return url.href;
  }
}
