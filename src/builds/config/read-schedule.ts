import { Cron } from "croner";
import { isMap, isScalar, isSeq, type Node } from "yaml";

/** One `schedule:` entry: a cron expression (UTC) and the branches it builds. */
export interface ScheduleEntry {
  /** Five fields, POSIX cron as GitHub Actions' `on: schedule` (minute hour day month weekday), in UTC. */
  cron: string;
  /** Branches to build at each tick; undefined: the repository's default branch. */
  branches?: string[];
}

/** What a reader lends: a failure at a node (with its file and line), and alias resolution. */
export interface ScheduleNodeTools {
  fail(node: Node, problem: string): never;
  resolve(node: Node | null | undefined): Node | null;
}

/** Bounds on what a file can ask for: entries, and branches per entry. */
const MAX_ENTRIES = 10;
const MAX_BRANCHES = 10;
/** A branch name as git allows it, without what a ref or an option would need. */
const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;
const EXAMPLE = '`schedule: [{cron: "0 3 * * *"}]` or `- {cron: "30 2 * * 1", branches: [main, "stable/5.x"]}`';

/**
 * Checks a cron expression (pure): five fields, which croner parses (names
 * such as MON and JAN, ranges, steps, lists). Returns a message saying how
 * to fix it, or undefined when it is valid.
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `\`cron: "${expression}"\` has ${fields.length} fields; write five (minute hour day month weekday, in UTC), e.g. "0 3 * * *" for 03:00 every day`;
  try {
    new Cron(expression, { timezone: "UTC", paused: true });
    return undefined;
  } catch (error) {
    return `\`cron: "${expression}"\` is not a cron expression (${(error as Error).message}); e.g. "0 3 * * *" for 03:00 UTC every day`;
  }
}

/**
 * Reads a `schedule:` value (a list of `{cron, branches?}` mappings, or one
 * cron string as a shorthand) from `.github/ponyci.yml` or the private
 * repositories' file. Errors name the line and how to fix it.
 */
export function readSchedule(value: Node | null, keyNode: Node, tools: ScheduleNodeTools): ScheduleEntry[] {
  const node = tools.resolve(value);
  if (isScalar(node) && typeof node.value === "string") return [readEntry(node, undefined, node, tools)];
  if (node === null || !isSeq(node)) return tools.fail(node ?? keyNode, `\`schedule:\` must be a list of cron entries, e.g. ${EXAMPLE}`);
  if (node.items.length > MAX_ENTRIES) tools.fail(node, `\`schedule:\` lists ${node.items.length} entries; at most ${MAX_ENTRIES} are allowed`);
  return (node.items as (Node | null)[]).map((raw) => {
    const item = tools.resolve(raw);
    if (isScalar(item) && typeof item.value === "string") return readEntry(item, undefined, item, tools);
    if (!isMap(item)) return tools.fail(item ?? node, `each \`schedule:\` entry is a mapping with \`cron:\`, e.g. ${EXAMPLE}`);
    let cron: Node | null = null;
    let branches: Node | undefined;
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      if (key === "cron") cron = tools.resolve(pair.value as Node | null) ?? (pair.key as Node);
      else if (key === "branches") branches = tools.resolve(pair.value as Node | null) ?? (pair.key as Node);
      else tools.fail(pair.key as Node, `unknown key \`${key}\` in a \`schedule:\` entry: the keys are cron and branches`);
    }
    if (cron === null) return tools.fail(item, `a \`schedule:\` entry needs \`cron:\`, e.g. ${EXAMPLE}`);
    return readEntry(cron, branches, item, tools);
  });
}

function readEntry(cronNode: Node, branchesNode: Node | undefined, owner: Node, tools: ScheduleNodeTools): ScheduleEntry {
  const cron = isScalar(cronNode) && typeof cronNode.value === "string" ? cronNode.value.trim() : tools.fail(cronNode, '`cron:` must be a quoted string, e.g. `cron: "0 3 * * *"`');
  const problem = cronProblem(cron);
  if (problem) tools.fail(cronNode, problem);
  if (branchesNode === undefined) return { cron };
  if (!isSeq(branchesNode)) return tools.fail(branchesNode ?? owner, "`branches:` of a schedule entry must be a list of branch names, e.g. `branches: [main]`");
  if (branchesNode.items.length === 0 || branchesNode.items.length > MAX_BRANCHES) tools.fail(branchesNode, `\`branches:\` of a schedule entry lists 1 to ${MAX_BRANCHES} branches`);
  const branches = (branchesNode.items as (Node | null)[]).map((raw) => {
    const item = tools.resolve(raw);
    const name = isScalar(item) && (typeof item.value === "string" || typeof item.value === "number") ? String(item.value) : undefined;
    if (name === undefined || !BRANCH.test(name)) return tools.fail(item ?? branchesNode, `schedule branch ${JSON.stringify(name ?? null)} is not a branch name: write it as it is, e.g. main or stable/5.x (no patterns)`);
    return name;
  });
  return { cron, branches };
}
