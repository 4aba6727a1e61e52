import { isScalar, type Node, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import type { QuarantineEntry, TestPolicy } from "../../domain/test-policy.js";

/** The keys of `.github/ponyci.yml` that set the TestPolicy. */
export const testPolicyKeys = ["quarantine", "already_failing", "confirm_failures", "failed_first"] as const;
export type TestPolicyKey = (typeof testPolicyKeys)[number];

/** What the config reader lends: a failure at a node (file and line), alias resolution, node lines. */
export interface NodeTools {
  fail(node: Node, problem: string): never;
  resolve(node: Node | null | undefined): Node | null;
  line(node: Node): number;
}

/**
 * Reads one TestPolicy key of a config that passed repoConfigSchema (types,
 * values, at most 500 quarantine entries of at most 500 characters) into
 * `policy`. Pure; what a schema cannot say is refused at its line: an
 * `until:` that is no calendar day.
 */
export function readTestPolicyKey(policy: TestPolicy, key: TestPolicyKey, node: Node | null, _keyNode: Node, tools: NodeTools): void {
  const value = isScalar(node) ? node.value : undefined;
  switch (key) {
    case "quarantine":
      policy.quarantine = readQuarantine(node as YAMLSeq, tools);
      return;
    case "already_failing":
      policy.alreadyFailing = value as TestPolicy["alreadyFailing"];
      return;
    case "confirm_failures":
      policy.confirmFailures = value as boolean;
      return;
    case "failed_first":
      policy.failedFirst = value as boolean;
      return;
  }
}

function readQuarantine(node: YAMLSeq, tools: NodeTools): QuarantineEntry[] {
  return node.items.map((raw) => {
    const item = tools.resolve(raw as Node | null) as Node;
    if (isScalar(item)) return { test: String(item.value).trim(), line: tools.line(item) };
    const entry: Partial<QuarantineEntry> = { line: tools.line(item) };
    for (const pair of (item as YAMLMap).items) {
      const value = tools.resolve(pair.value as Node | null) as Scalar;
      const k = String((pair.key as Scalar).value);
      if (k === "test") entry.test = String(value.value).trim();
      else if (k === "until") entry.until = readDate(value, tools);
      else if (k === "reason") entry.reason = String(value.value).slice(0, 300);
    }
    return entry as QuarantineEntry;
  });
}

/** "YYYY-MM-DD", a real calendar day. YAML 1.2 (the `yaml` package's default) reads an unquoted date as a string. */
function readDate(node: Node, tools: NodeTools): string {
  const text = isScalar(node) ? String(node.value) : "";
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!match || !date || date.toISOString().slice(0, 10) !== text) {
    tools.fail(node, `quarantine \`until:\` is a day written YYYY-MM-DD, e.g. "2026-12-31" (got "${text.slice(0, 40)}")`);
  }
  return text;
}
