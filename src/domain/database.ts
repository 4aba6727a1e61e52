/**
 * Database services beside a cell's tests (issue 13): shared vocabulary of the
 * planner (which service a cell needs, with which server arguments) and the
 * runner (which container it starts).
 */

/**
 * Values of the `database:` matrix axis. MySQL cells run on MariaDB (Debian
 * ships no MySQL server; MariaDB speaks its protocol). PostGIS is PostgreSQL
 * with the PostGIS extension installed (GeoDjango's `postgis` backend).
 */
export type DatabaseName = "sqlite" | "postgres" | "mariadb" | "postgis";

/** The databases that need a service container. */
export type ServiceName = Exclude<DatabaseName, "sqlite">;

export const serviceNames: readonly ServiceName[] = ["postgres", "mariadb", "postgis"];

/** The server a service runs, for what does not depend on extensions (protocol, client, arguments). */
export function serviceEngine(name: ServiceName): "postgres" | "mariadb" {
  return name === "postgis" ? "postgres" : name;
}

/** One database service a job starts before its tests, and stops after. */
export interface ServiceSpec {
  name: ServiceName;
  /** "16", "10.11"; undefined: the installation's default image for the service. */
  version?: string;
  /**
   * Extra server arguments, already validated by the planner (and again by
   * the runner): postgres `-c name=value` pairs as two items, mariadb
   * `--name=value` items. Passed as argv, never through a shell.
   */
  args: string[];
}

/** Server settings: a name, then a value of safe characters only (no spaces, quotes or shell syntax). */
const settingName = /^[a-z][a-z0-9_.-]{0,62}$/i;
const settingValue = /^[A-Za-z0-9_.:,/+%@-]{0,200}$/;

/**
 * Check server arguments for a service; returns the problem, or undefined
 * when every argument is acceptable. Accepted: postgres `-c name=value`
 * (as two items) or `--name=value`; mariadb `--name=value` or `--name`.
 * Values are limited to letters, digits and `_ . : , / + % @ -`. Pure.
 */
export function checkServiceArgs(name: ServiceName, args: readonly string[]): string | undefined {
  if (args.length > 64) return "at most 64 server arguments";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (serviceEngine(name) === "postgres" && arg === "-c") {
      const pair = args[i + 1];
      if (pair === undefined) return "`-c` must be followed by name=value";
      const problem = checkSetting(pair);
      if (problem) return problem;
      i++;
      continue;
    }
    const long = /^--(.*)$/.exec(arg);
    if (!long) return `"${clip(arg)}" is not a server setting: write ${serviceEngine(name) === "postgres" ? "`-c name=value`" : "`--name=value`"}`;
    const body = long[1] ?? "";
    if (name === "mariadb" && !body.includes("=")) {
      if (!settingName.test(body)) return `"${clip(arg)}" is not a valid option name`;
      continue;
    }
    const problem = checkSetting(body);
    if (problem) return problem;
  }
  return undefined;
}

function checkSetting(pair: string): string | undefined {
  const eq = pair.indexOf("=");
  if (eq <= 0) return `"${clip(pair)}" must be name=value`;
  const [key, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
  if (!settingName.test(key)) return `"${clip(key)}" is not a valid setting name (letters, digits, _ . -)`;
  if (!settingValue.test(value)) return `the value of ${key} may use only letters, digits and _ . : , / + % @ -`;
  return undefined;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Connection details every service cell gets (a throwaway test database on the pod's loopback). */
export const serviceCredentials = { host: "127.0.0.1", user: "ponyci", password: "ponyci", name: "ponyci" } as const;

/** The port each service listens on inside the pod. */
export const servicePorts: Readonly<Record<ServiceName, number>> = { postgres: 5432, mariadb: 3306, postgis: 5432 };

/**
 * The standard variables the test container gets for a cell's database
 * (documented in docs/repo-config.md): DATABASE_URL (dj-database-url style),
 * DB_* names, and POSTGRES_* / PG* (libpq) or MYSQL_* equivalents. SQLite
 * cells get only DB_ENGINE=sqlite3.
 */
export function databaseEnv(database: DatabaseName): Record<string, string> {
  if (database === "sqlite") return { DB_ENGINE: "sqlite3" };
  const { host, user, password, name } = serviceCredentials;
  const port = String(servicePorts[database]);
  const common = { DB_HOST: host, DB_PORT: port, DB_NAME: name, DB_USER: user, DB_PASSWORD: password };
  if (serviceEngine(database) === "postgres") {
    // dj-database-url reads the postgis:// scheme as GeoDjango's backend.
    return {
      DATABASE_URL: `${database}://${user}:${password}@${host}:${port}/${name}`,
      DB_ENGINE: database === "postgis" ? "postgis" : "postgresql",
      ...common,
      POSTGRES_HOST: host, POSTGRES_PORT: port, POSTGRES_DB: name, POSTGRES_USER: user, POSTGRES_PASSWORD: password,
      PGHOST: host, PGPORT: port, PGDATABASE: name, PGUSER: user, PGPASSWORD: password,
    };
  }
  return {
    DATABASE_URL: `mysql://${user}:${password}@${host}:${port}/${name}`,
    DB_ENGINE: "mysql",
    ...common,
    MYSQL_HOST: host, MYSQL_PORT: port, MYSQL_TCP_PORT: port, MYSQL_DATABASE: name, MYSQL_USER: user, MYSQL_PASSWORD: password, MYSQL_PWD: password,
  };
}
