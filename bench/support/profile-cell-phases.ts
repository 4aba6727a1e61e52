/** One slice of a cell's wall time. */
export interface CellPhase {
  phase: string;
  ms: number;
}

/** Consecutive slices: [label, from mark, to mark]; "begin"/"end" are the call and the end of the stream. */
const PHASES: Array<[string, string, string]> = [
  ["job directory set-up", "begin", "checkout.start"],
  ["checkout (warm mirror)", "checkout.start", "checkout.end"],
  ["environment lookup", "ensure.start", "ensure.end"],
  ["chown -R + events tail set-up", "ensure.end", "create.start"],
  ["container create", "create.start", "create.end"],
  ["container attach", "attach.start", "attach.end"],
  ["container start", "start.start", "start.end"],
  ["container running (start → wait returns)", "start.end", "wait.end"],
  ["after exit: output drain, inspect", "wait.end", "remove.start"],
  ["container remove", "remove.start", "remove.end"],
  ["job directory removal, stream close", "remove.end", "end"],
];

/**
 * Split one cell run into phases from the instrumented runner's marks
 * (performance.now() values). `testMs` (what the harness measured) is
 * reported as a part of "container running", as is the rest of that phase.
 * A phase whose marks are missing is left out.
 */
export function profileCellPhases(marks: ReadonlyMap<string, number>, run: { begin: number; end: number; testMs: number }): CellPhase[] {
  const at = (name: string) => (name === "begin" ? run.begin : name === "end" ? run.end : marks.get(name));
  const phases: CellPhase[] = [];
  for (const [phase, from, to] of PHASES) {
    const a = at(from);
    const b = at(to);
    if (a === undefined || b === undefined) continue;
    phases.push({ phase, ms: b - a });
    if (from === "start.end") {
      phases.push({ phase: "  of which measured by the harness", ms: run.testMs });
      phases.push({ phase: "  of which outside the harness (interpreter start, exit)", ms: b - a - run.testMs });
    }
  }
  return phases;
}
