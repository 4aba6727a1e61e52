import picomatch from "picomatch";
import type { QuarantineEntry } from "../domain/test-policy.js";

const DAY_MS = 86_400_000;

/** Whether a quarantine entry still holds at `now`: through the whole `until` day (UTC). */
export function isQuarantineActive(entry: QuarantineEntry, now: number): boolean {
  if (!entry.until) return true;
  return now < Date.parse(`${entry.until}T00:00:00Z`) + DAY_MS;
}

/**
 * The entry that quarantines `testId` at `now`, if any: an id equal to the
 * entry's `test`, or matching it as a glob (picomatch: `*` stops at `/`,
 * `**` crosses it; a subtest "<id> [params]" is matched by its parent's id).
 * An expired entry still matches but is returned as `expired`, so the report
 * can say the quarantine ended.
 */
export function matchQuarantine(
  testId: string,
  entries: readonly QuarantineEntry[],
  now: number,
): { entry: QuarantineEntry; expired: boolean } | undefined {
  const ids = [testId, testId.split(" [", 1)[0] ?? testId];
  let expired: QuarantineEntry | undefined;
  for (const entry of entries) {
    if (!ids.some((id) => id === entry.test || matcherFor(entry.test)(id))) continue;
    if (isQuarantineActive(entry, now)) return { entry, expired: false };
    expired ??= entry;
  }
  return expired ? { entry: expired, expired: true } : undefined;
}

const matchers = new Map<string, (id: string) => boolean>();

function matcherFor(pattern: string): (id: string) => boolean {
  const known = matchers.get(pattern);
  if (known) return known;
  let matcher: (id: string) => boolean;
  // A pattern picomatch cannot compile matches only itself (the equality test in matchQuarantine).
  try {
    matcher = picomatch(pattern, { dot: true });
  } catch {
    matcher = () => false;
  }
  if (matchers.size > 5_000) matchers.clear();
  matchers.set(pattern, matcher);
  return matcher;
}
