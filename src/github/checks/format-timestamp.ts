/** A time as GitHub's check-run timestamps want it: `YYYY-MM-DDTHH:MM:SSZ` (UTC, no milliseconds). */
export function formatTimestamp(time: Date | number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}
