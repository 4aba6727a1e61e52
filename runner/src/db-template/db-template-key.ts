import { createHash } from "node:crypto";

/** The database vendors a template is kept for (Django's `connection.vendor`). */
export type TemplateEngine = "postgresql" | "mysql" | "sqlite";

export interface DbTemplateKeyInput {
  /** The environment's key: Python, Django and every installed package (their migrations included). */
  environmentKey: string;
  /** hashMigrations of the checkout. */
  migrations: string;
  engine: TemplateEngine;
  /** The service's image and server arguments (PostgreSQL, MariaDB); absent for SQLite. */
  service?: { name: string; image: string; args: readonly string[] };
  /** Whose template it is (the repository's URL): never shared between repositories. */
  scope: string;
  /** The variables the tests see from the project (settings read them: database names, users). */
  env: Readonly<Record<string, string>>;
  /** The test command or command plan, as the job spec has it. */
  command?: string;
}

/**
 * The key a migrated test database is kept under: a change to any input (a
 * migration, a package, the database server, the project's variables or
 * command) is another key, so the template is built again. Pure.
 */
export function dbTemplateKey(input: DbTemplateKeyInput): string {
  const canonical = JSON.stringify([
    "ponyci-db-template-1",
    input.environmentKey,
    input.migrations,
    input.engine,
    input.service ? [input.service.name, input.service.image, [...input.service.args]] : null,
    input.scope,
    Object.entries(input.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    input.command ?? null,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}
