/** One system line of a cell, with when it came (ms since runCell was called). */
export interface TimedLine {
  ms: number;
  line: string;
}

/** A slice of a cell's wall time, between two milestones of its log. */
export interface CellSlice {
  slice: string;
  ms: number;
}

/**
 * The milestones of a cell's system log, in order: each slice ends at its
 * milestone's first line (its label says what ran since the previous one).
 * The environment's build steps are the builder's own "ponyci:" lines
 * (buildNewEnvironment), which run-cell logs without that prefix; the
 * rest are run-cell's.
 */
const MILESTONES: Array<[string, RegExp]> = [
  ["checkout", /^Checked out in /],
  ["environment: Django version, base image, key", /^building environment /],
  ["environment: resolve (uv, host)", /^resolve /],
  ["environment: download (host, sha256-checked)", /^download /],
  ["environment: install (container: venv, unpack, link)", /^install /],
  ["environment: record", /^built environment /],
  ["environment: hand-over (image, cell log)", /^Environment \S+ on /],
  ["test container: create, start, harness start", /^Running tests with /],
  ["tests (the harness's run, migrations included)", /^(Kept the migrated test database|Test container ended)/],
  ["test container: exit", /^Test container ended /],
];

/**
 * Attribute every millisecond of one cell run (issue 28 item 3) to the
 * slices between its log's milestones; a milestone that never came (a warm
 * cell builds nothing) merges its slice into the next. The last slice runs
 * to `wallMs`: results, the job directory's removal, the stream's end.
 * The slices sum to `wallMs`.
 */
export function attributeCellTime(lines: readonly TimedLine[], wallMs: number): CellSlice[] {
  const slices: CellSlice[] = [];
  let from = 0;
  let searchFrom = 0;
  let pending: string[] = [];
  for (const [slice, pattern] of MILESTONES) {
    pending.push(slice);
    const index = lines.findIndex((l, i) => i >= searchFrom && pattern.test(l.line));
    if (index < 0) continue;
    slices.push({ slice: pending.join(" + "), ms: lines[index]!.ms - from });
    from = lines[index]!.ms;
    searchFrom = index + 1;
    pending = [];
  }
  slices.push({ slice: [...pending, "after the container: results, clean-up"].join(" + "), ms: wallMs - from });
  return slices;
}
