/** A value, or a list of such values (a single value stands for a one-item list): how Pony CI's config files write lists. */
export function oneOrMany(item: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { anyOf: [item, { type: "array", items: item, ...extra }] };
}

/**
 * The frame of a config file's JSON Schema (draft-07): a mapping of the
 * named keys only, or nothing at all (an empty file means the defaults).
 */
export function configFileSchema(frame: { title: string; description: string; errorMessage: string; properties: Record<string, unknown> }): Record<string, unknown> {
  return { $schema: "http://json-schema.org/draft-07/schema#", title: frame.title, description: frame.description, type: ["object", "null"], errorMessage: frame.errorMessage, additionalProperties: false, properties: frame.properties };
}
