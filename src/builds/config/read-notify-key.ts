import { isSeq, type Node, type Scalar, type YAMLMap } from "yaml";
import { createDefaultNotifyConfig, type NotifyConfig, type NotifyEvent } from "./notify-config.js";

/** What a config reader lends: a failure at a node (its file and line) and alias resolution. */
export interface NotifyNodeTools {
  fail(node: Node, problem: string): never;
  resolve(node: Node | null | undefined): Node | null;
}

/** An address without display name, comments or quoting: what SMTP's RCPT TO takes as it is (stricter than the schema's pattern). */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;

/**
 * Reads a `notify:` mapping that passed notifySchema (keys, types, at most 20
 * entries a list, `on:` values: both config files check it first). Pure; what
 * a schema cannot say is refused here at its line: an address SMTP would not
 * take as it is, the same entry written twice, a URL that does not parse or
 * carries a user or password. Whether a URL may be called is the caller's
 * decision.
 */
export function readNotifyKey(node: Node | null, _keyNode: Node, tools: NotifyNodeTools): NotifyConfig {
  const config = createDefaultNotifyConfig();
  for (const pair of (node as YAMLMap).items) {
    const key = String((pair.key as Scalar).value) as "email" | "on" | "webhook" | "slack" | "mattermost";
    const value = tools.resolve(pair.value as Node | null) as Node;
    switch (key) {
      case "email":
        config.email = readList(value, key).map(({ text, item }) => {
          if (!EMAIL.test(text) || text.length > 254) tools.fail(item, `"${text}" is not an email address: write the address alone, e.g. team@example.com`);
          return text.toLowerCase();
        });
        break;
      case "on":
        config.on = readList(value, key).map(({ text }) => text as NotifyEvent);
        break;
      case "webhook":
      case "slack":
      case "mattermost":
        config[key] = readList(value, key).map(({ text, item }) => checkUrl(text, item, key));
        break;
    }
  }
  return config;

  /** A list of strings (or one string), each once once trimmed. */
  function readList(value: Node, key: string): { text: string; item: Node }[] {
    const items = isSeq(value) ? (value.items as (Node | null)[]).map((item) => tools.resolve(item) as Scalar) : [value as Scalar];
    const seen = new Set<string>();
    return items.map((item) => {
      const text = String(item.value).trim();
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
