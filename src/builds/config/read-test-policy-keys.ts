import { isMap, isScalar, isSeq, type Node } from "yaml";
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

/** At most this many quarantine entries: a bound on the work a config can ask for. */
const MAX_QUARANTINE = 500;
const MAX_PATTERN_CHARS = 500;

/**
 * Reads one TestPolicy key of the config into `policy` (pure; errors name the
 * line and how to fix it, like the rest of the config).
 */
export function readTestPolicyKey(policy: TestPolicy, key: TestPolicyKey, node: Node | null, keyNode: Node, tools: NodeTools): void {
  switch (key) {
    case "quarantine":
      policy.quarantine = readQuarantine(node, keyNode, tools);
      return;
    case "already_failing": {
      const value = isScalar(node) ? node.value : undefined;
      if (value !== "failure" && value !== "neutral") {
        tools.fail(node ?? keyNode, "`already_failing:` is `failure` (the default: a test already failing on the base still makes the cell red) or `neutral`");
      }
      policy.alreadyFailing = value;
      return;
    }
    case "confirm_failures":
    case "failed_first": {
      const value = isScalar(node) ? node.value : undefined;
      if (typeof value !== "boolean") tools.fail(node ?? keyNode, `\`${key}:\` is \`true\` or \`false\``);
      if (key === "confirm_failures") policy.confirmFailures = value;
      else policy.failedFirst = value;
      return;
    }
  }
}

function readQuarantine(node: Node | null, keyNode: Node, tools: NodeTools): QuarantineEntry[] {
  const example = '`quarantine: ["polls.tests.SlowTests.*", {test: "tests/test_net.py::test_fetch", until: "2026-12-31", reason: "#42"}]`';
  if (node === null || !isSeq(node)) tools.fail(node ?? keyNode, `\`quarantine:\` must be a list of test ids or globs, e.g. ${example}`);
  if (node.items.length > MAX_QUARANTINE) tools.fail(node, `\`quarantine:\` lists ${node.items.length} entries; at most ${MAX_QUARANTINE} are allowed: use globs`);
  return node.items.map((raw) => {
    const item = tools.resolve(raw as Node | null) ?? node;
    if (isScalar(item)) return { test: readPattern(item, tools), line: tools.line(item) };
    if (!isMap(item)) tools.fail(item, `each \`quarantine\` entry is a test id or glob, or a mapping with \`test\`, \`until\` and \`reason\`, e.g. ${example}`);
    const entry: Partial<QuarantineEntry> = { line: tools.line(item) };
    for (const pair of item.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : "";
      const kNode = (pair.key as Node | null) ?? item;
      const value = tools.resolve(pair.value as Node | null);
      if (value === null) tools.fail(kNode, `\`${k}\` in this quarantine entry has no value`);
      if (k === "test") entry.test = readPattern(value, tools);
      else if (k === "until") entry.until = readDate(value, tools);
      else if (k === "reason") {
        if (!isScalar(value) || typeof value.value !== "string") tools.fail(value, "a quarantine `reason` is a string");
        entry.reason = value.value.slice(0, 300);
      } else tools.fail(kNode, `unknown quarantine key \`${k}\`: use \`test\`, \`until\` and \`reason\``);
    }
    if (entry.test === undefined) tools.fail(item, "this quarantine entry has no `test:`: name the test id or glob it holds");
    return entry as QuarantineEntry;
  });
}

function readPattern(node: Node, tools: NodeTools): string {
  if (!isScalar(node) || typeof node.value !== "string" || node.value.trim() === "") {
    tools.fail(node, 'a quarantined test is a quoted test id or glob, e.g. "polls.tests.SlowTests.*"');
  }
  const pattern = node.value.trim();
  if (pattern.length > MAX_PATTERN_CHARS) tools.fail(node, `a quarantine pattern is at most ${MAX_PATTERN_CHARS} characters`);
  return pattern;
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
