/** A value, or a list of such values (a single value stands for a one-item list): how Pony CI's config files write lists. */
export function oneOrMany(item: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { anyOf: [item, { type: "array", items: item, ...extra }] };
}
