import type { CheckRunUpdate } from "./check-run-payload.js";

/**
 * Whether sending `next` would change a check run whose last write was
 * `previous` (undefined: nothing sent yet, so yes). Annotations always count
 * as a change, since GitHub appends them; everything else is compared by
 * value, ignoring keys whose value is undefined.
 */
export function hasCheckChange(previous: CheckRunUpdate | undefined, next: CheckRunUpdate): boolean {
  if (!previous) return true;
  if ((next.output?.annotations?.length ?? 0) > 0) return true;
  return canonical(previous) !== canonical(next);
}

/** JSON with sorted keys and undefined values and empty annotation lists dropped. */
function canonical(update: CheckRunUpdate): string {
  const { output, ...rest } = update;
  const normalized: Record<string, unknown> = { ...rest };
  if (output) {
    const { annotations: _annotations, ...outputRest } = output;
    normalized.output = outputRest;
  }
  return JSON.stringify(normalized, (_key, value: unknown) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return value;
  });
}
