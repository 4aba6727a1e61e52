/**
 * The one human duration (check run titles and summaries, the terminal, the
 * dashboard): "0.4 s", "4.6 s", "59 s", "2 min 5 s", "20 min", "1 h 3 min".
 * Seconds keep one decimal below 10 s; "" when the duration is unknown.
 */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return "";
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (safe < 10_000) return `${(Math.round(safe / 100) / 10).toFixed(1)} s`;
  const totalSeconds = Math.round(safe / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return seconds > 0 ? `${minutes} min ${seconds} s` : `${minutes} min`;
}
