/** A phase's duration as the cell log shows it ("2.5 s"). */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
