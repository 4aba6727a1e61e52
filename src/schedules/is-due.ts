import { Cron } from "croner";

/**
 * Whether a cron schedule (UTC) ticked after `since` and by `now` (pure).
 * However many ticks were missed (the server was down for days), the answer
 * is one yes: the caller builds once and records `now` as the new `since`,
 * so a missed schedule runs once at start, not once per missed tick.
 */
export function isDue(cron: string, since: number, now: number): boolean {
  const next = new Cron(cron, { timezone: "UTC", paused: true }).nextRun(new Date(since));
  return next !== null && next.getTime() <= now;
}
