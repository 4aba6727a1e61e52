export interface SampleSummary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Median (mean of the middle two for an even count), min and max of `samples`; NaN when empty. */
export function summariseSamples(samples: number[]): SampleSummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  const median = n === 0 ? NaN : n % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  return { n, median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN };
}

/** "1234 ms" / "12.3 s": milliseconds for a human. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  return Math.abs(ms) >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** "median 812 ms (min 790 ms, max 901 ms, n=5)". */
export function formatSummary(summary: SampleSummary): string {
  return `median ${formatMs(summary.median)} (min ${formatMs(summary.min)}, max ${formatMs(summary.max)}, n=${summary.n})`;
}
