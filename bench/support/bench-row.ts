/** One line of the benchmark summary: a measured number, and the target it is read against (information only). */
export interface BenchRow {
  bench: string;
  metric: string;
  value: string;
  /** "≤ 500 ms": what the issue asks for; absent when there is none. */
  target?: string;
  /** Whether the value meets the target; never a failure, only printed. */
  met?: boolean;
}

/** A plain-text table of `rows`, columns padded to fit. */
export function renderBenchTable(rows: BenchRow[]): string {
  const header = ["bench", "metric", "value", "target", "met"];
  const cells = rows.map((r) => [r.bench, r.metric, r.value, r.target ?? "", r.met === undefined ? "" : r.met ? "yes" : "NO"]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
