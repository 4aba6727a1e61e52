import { serviceCredentials, serviceEngine, type ServiceName } from "./database.js";

/** A user (with its password) and a database the cell's tests will connect with. */
export interface DatabaseLogin {
  user: string;
  password: string;
  database?: string;
}

/**
 * The families of variables projects name their database with, as GitHub
 * Actions' service containers and dj-database-url taught them: each gives a
 * user, a password and a database name.
 */
const families: ReadonlyArray<{ user: string; password: string; database: string; for?: "postgres" | "mariadb" }> = [
  { user: "DB_USER", password: "DB_PASSWORD", database: "DB_NAME" },
  { user: "DATABASE_USER", password: "DATABASE_PASSWORD", database: "DATABASE_NAME" },
  { user: "POSTGRES_USER", password: "POSTGRES_PASSWORD", database: "POSTGRES_DB", for: "postgres" },
  { user: "PGUSER", password: "PGPASSWORD", database: "PGDATABASE", for: "postgres" },
  { user: "MYSQL_USER", password: "MYSQL_PASSWORD", database: "MYSQL_DATABASE", for: "mariadb" },
  { user: "MARIADB_USER", password: "MARIADB_PASSWORD", database: "MARIADB_DATABASE", for: "mariadb" },
];

/** Role, user and database names Pony CI creates: the characters such names use, nothing a quote could hide in. */
const namePattern = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
/** Passwords: printable ASCII (escaped as literals by the runner), bounded. */
const passwordPattern = /^[\x20-\x7e]{0,128}$/;
/** Database names that are the server's own or a file (SQLite's ":memory:" of a shared setting). */
const reservedDatabases = new Set(["template0", "template1", "information_schema", "performance_schema", "sys"]);

/**
 * The logins a cell's tests will use, read from the variables the project
 * itself sets for the cell (`projectEnv`: the config's `env:`, tox
 * `set_env`, a workflow's `env:`), a family's missing parts taken from the
 * cell's whole environment (`cellEnv`, Pony CI's defaults included), so
 * `DB_PASSWORD=postgres` alone means user "ponyci" with password "postgres".
 * Also the user, password and path of a DATABASE_URL (after DB_*), and
 * MYSQL_ROOT_PASSWORD / MARIADB_ROOT_PASSWORD (user root). One login per
 * user, the first in that order. Values with tox placeholders left in them, names outside
 * letters/digits/_/$/-, and non-ASCII passwords are skipped (never passed to
 * a server). Distinct logins in the order found; none equals Pony CI's own
 * default login. Pure.
 */
export function databaseLogins(service: ServiceName, projectEnv: Readonly<Record<string, string>>, cellEnv: Readonly<Record<string, string>> = projectEnv): DatabaseLogin[] {
  const found: DatabaseLogin[] = [];
  const pick = (key: string) => projectEnv[key] ?? cellEnv[key];
  for (const [index, family] of families.entries()) {
    if (index === 1 && projectEnv.DATABASE_URL !== undefined) found.push(...[parseDatabaseUrl(projectEnv.DATABASE_URL)].filter((l) => l !== undefined));
    if (family.for && family.for !== serviceEngine(service)) continue;
    if (![family.user, family.password, family.database].some((key) => key in projectEnv)) continue;
    found.push({ user: pick(family.user) ?? serviceCredentials.user, password: pick(family.password) ?? "", database: pick(family.database) });
  }
  for (const key of ["MYSQL_ROOT_PASSWORD", "MARIADB_ROOT_PASSWORD"]) {
    const password = projectEnv[key];
    if (service === "mariadb" && password !== undefined) found.push({ user: "root", password });
  }
  // One password per user, the first found: a password set twice (tox's DB_PASSWORD, a workflow service's
  // MARIADB_ROOT_PASSWORD) would otherwise end as whichever statement ran last.
  const seen = new Set<string>();
  const passwords = new Map<string, string>();
  return found.flatMap((login) => {
    if (!namePattern.test(login.user) || !passwordPattern.test(login.password)) return [];
    const password = passwords.get(login.user) ?? login.password;
    passwords.set(login.user, password);
    const clean: DatabaseLogin = { user: login.user, password, ...(login.database !== undefined && isCreatableDatabase(login.database) ? { database: login.database } : {}) };
    const key = JSON.stringify(clean);
    const isDefault = clean.user === serviceCredentials.user && clean.password === serviceCredentials.password && (clean.database ?? serviceCredentials.name) === serviceCredentials.name;
    if (seen.has(key) || isDefault) return [];
    seen.add(key);
    return [clean];
  });
}

function isCreatableDatabase(name: string): boolean {
  return namePattern.test(name) && !reservedDatabases.has(name.toLowerCase());
}

/** User, password and database of a `scheme://user:password@host:port/name` URL; undefined when it is not one. */
function parseDatabaseUrl(text: string): DatabaseLogin | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!url.username) return undefined;
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return undefined;
    }
  };
  const user = decode(url.username);
  const password = decode(url.password);
  const database = decode(url.pathname.replace(/^\//, ""));
  if (user === undefined || password === undefined) return undefined;
  return { user, password, ...(database ? { database } : {}) };
}
