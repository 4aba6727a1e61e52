import { repoConfigSchema } from "../builds/config/repo-config-schema.js";
import { privateReposSchema } from "../bridge/private-repos-schema.js";

/** The config files whose JSON Schema `ponyci schema` prints, by the name it takes. */
export const publishedSchemas = {
  "repo-config": repoConfigSchema,
  "private-repos": privateReposSchema,
} as const;

export type PublishedSchemaName = keyof typeof publishedSchemas;

/** A schema as published: 2-space JSON and a final newline (docs/*.schema.json are these bytes). */
export function formatSchema(name: PublishedSchemaName): string {
  return `${JSON.stringify(publishedSchemas[name], null, 2)}\n`;
}

export const SCHEMA_USAGE = `Usage: ponyci schema [repo-config|private-repos]
  Prints the JSON Schema (draft-07) of .github/ponyci.yml (repo-config, the default)
  or of the private repositories' file, for editors, e.g. the first line of the file:
  # yaml-language-server: $schema=./ponyci.schema.json`;

/**
 * `ponyci schema [repo-config|private-repos]`: prints the JSON Schema the
 * config file is checked against when it is read; 2 for anything else.
 */
export function schemaCommand(args: readonly string[], io: { out: { write(text: string): void }; err: { write(text: string): void } }): number {
  const [name = "repo-config", ...more] = args;
  if (name === "--help" || name === "-h") {
    io.out.write(`${SCHEMA_USAGE}\n`);
    return 0;
  }
  if (more.length > 0 || !Object.hasOwn(publishedSchemas, name)) {
    io.err.write(`ponyci schema: unknown schema ${JSON.stringify([name, ...more].join(" "))}\n${SCHEMA_USAGE}\n`);
    return 2;
  }
  io.out.write(formatSchema(name as PublishedSchemaName));
  return 0;
}
