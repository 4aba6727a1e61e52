import { Cron } from "croner";
import { isScalar, isSeq, type Node, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";

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

/** A branch name as git allows it, without what a ref or an option would need (the schema's pattern, which holds for strings only). */
const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$/;

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
 * repositories' file, after scheduleSchema passed (keys, types, at most 10
 * entries and 10 branches). What a schema cannot say is refused here at its
 * line: a cron expression croner does not parse, a branch name YAML read
 * as a number that git would not take.
 */
export function readSchedule(value: Node | null, _keyNode: Node, tools: ScheduleNodeTools): ScheduleEntry[] {
  const node = tools.resolve(value) as Node;
  const items = isSeq(node) ? (node.items as (Node | null)[]).map((raw) => tools.resolve(raw) as Node) : [node];
  return items.map((item) => {
    if (isScalar(item)) return readEntry(item, undefined, tools);
    const fields = new Map((item as YAMLMap).items.map((pair) => [String((pair.key as Scalar).value), tools.resolve(pair.value as Node | null)]));
    return readEntry(fields.get("cron") as Scalar, (fields.get("branches") ?? undefined) as YAMLSeq | undefined, tools);
  });
}

function readEntry(cronNode: Scalar, branchesNode: YAMLSeq | undefined, tools: ScheduleNodeTools): ScheduleEntry {
  const cron = String(cronNode.value).trim();
  const problem = cronProblem(cron);
  if (problem) tools.fail(cronNode, problem);
  if (branchesNode === undefined) return { cron };
  const branches = (branchesNode.items as (Node | null)[]).map((raw) => {
    const item = tools.resolve(raw) as Scalar;
    const name = String(item.value);
    if (!BRANCH.test(name)) return tools.fail(item, `schedule branch ${JSON.stringify(name)} is not a branch name: write it as it is, e.g. main or stable/5.x (no patterns)`);
    return name;
  });
  return { cron, branches };
}
