import { parseRequirementLine } from "../../../src/domain/parse-requirement-line.js";
import { RequirementsError } from "../../../src/domain/requirements-error.js";

/**
 * The planner's requirement lines, parsed once more (defence in depth: a job
 * spec may come from the queue or another host): each must be a plain PEP 508
 * requirement; Django lines are dropped (the cell's Django wins).
 * @throws RequirementsError for anything else (a pip option, a URL, a path).
 */
export function checkRequirementLines(lines: readonly string[], what: string): string[] {
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    const parsed = parseRequirementLine(line);
    if (parsed.type === "requirement") out.push(parsed.spec);
    else if (parsed.type === "invalid" || parsed.type === "include" || parsed.type === "constraint") {
      throw new RequirementsError({ file: `job spec ${what}`, line: i + 1 }, parsed.type === "invalid" ? parsed.reason : "an include is expanded by the planner, never by the runner");
    }
  }
  return [...new Set(out)].sort();
}
