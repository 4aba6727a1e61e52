import { serviceCredentials, serviceEngine, servicePorts, type ServiceName } from "../../../src/domain/database.js";

/**
 * How to run one database service from one kind of image. Pony CI's own
 * images (ponyci/*, runner/images/services/) bake the cluster and the fast
 * settings into their entry point and run as uid 10002; the official
 * images (postgres:16, mariadb:11) are configured through their documented
 * environment variables and run as their own unprivileged uid (999).
 */
export interface ServiceProfile {
  /** Container argv after the entry point: defaults (official images) then the user's arguments. */
  cmd: string[];
  env: Record<string, string>;
  /** uid:gid; never root. */
  user: string;
  /** tmpfs mounts: the data directory and sockets live in memory. */
  tmpfs: Record<string, string>;
  /** A command run with `docker exec` that exits 0 once the server accepts TCP connections on 127.0.0.1. */
  readiness: string[];
  /** What the server logs when it is ready: the cue to run `readiness` at once rather than at the next poll. */
  readyLog: string;
  /** Files the runner writes and mounts read-only (official mariadb: the grant for Django's test database). */
  files: Array<{ containerPath: string; content: string }>;
}

/** Default versions: what bookworm ships (local images) and what the official images are used at. */
export const localServiceVersions: Readonly<Record<ServiceName, string>> = { postgres: "15", mariadb: "10.11", postgis: "15" };
export const officialServiceVersions: Readonly<Record<ServiceName, string>> = { postgres: "16", mariadb: "11", postgis: "16-3.4" };
/** The official images' names: PostGIS's image is published by the PostGIS project. */
export const officialServiceImages: Readonly<Record<ServiceName, string>> = { postgres: "postgres", mariadb: "mariadb", postgis: "postgis/postgis" };

const fast = {
  postgres: ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "wal_level=minimal", "-c", "max_wal_senders=0"],
  mariadb: ["--skip-log-bin", "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0", "--sync-binlog=0", "--innodb-use-native-aio=0", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"],
};

const pgHbaPath = "/etc/ponyci-pg_hba.conf";
/**
 * PostgreSQL trusts every connection. A project's settings name their own
 * user and password (or none: `PASSWORD: ""`), as they do for GitHub
 * Actions' service containers; the runner creates the users it can read
 * from the cell's environment, and trust makes any password right. Safe
 * here because the server listens only on the loopback of a network
 * namespace that only this cell's test container shares (`--network none`,
 * then `container:<id>`): nothing else can connect, and the tests may do
 * anything with this throwaway database anyway.
 */
const pgHba = "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n";

/** The profile for a service run from `image` with the user's (validated) server arguments. Pure. */
export function serviceProfile(name: ServiceName, image: string, args: readonly string[]): ServiceProfile {
  const local = image.startsWith("ponyci/");
  const { user, password, name: db } = serviceCredentials;
  const port = String(servicePorts[name]);
  const tmp = "rw,nosuid,nodev,size=64m";
  if (serviceEngine(name) === "postgres") {
    const hba = ["-c", `hba_file=${pgHbaPath}`];
    return {
      cmd: local ? [...hba, ...args] : ["postgres", ...fast.postgres, ...hba, ...args],
      env: local ? {} : { POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: db, PGDATA: "/var/lib/postgresql/data/pgdata" },
      user: local ? "10002:10002" : "999:999",
      tmpfs: local
        ? { "/run/db": "rw,nosuid,nodev,size=1g,mode=1777", "/tmp": tmp }
        : { "/var/lib/postgresql/data": "rw,nosuid,nodev,size=1g,mode=1777", "/var/run/postgresql": "rw,nosuid,nodev,size=16m,mode=1777", "/tmp": tmp },
      readiness: ["pg_isready", "-q", "-h", "127.0.0.1", "-p", port, "-U", user, "-d", db],
      readyLog: "ready to accept connections",
      files: [{ containerPath: pgHbaPath, content: pgHba }],
    };
  }
  return {
    cmd: local ? [...args] : ["mariadbd", ...fast.mariadb, ...args],
    env: local ? {} : { MARIADB_USER: user, MARIADB_PASSWORD: password, MARIADB_DATABASE: db, MARIADB_RANDOM_ROOT_PASSWORD: "1" },
    user: local ? "10002:10002" : "999:999",
    tmpfs: local
      ? { "/run/db": "rw,nosuid,nodev,size=1g,mode=1777", "/tmp": tmp }
      : { "/var/lib/mysql": "rw,nosuid,nodev,size=1g,mode=1777", "/run/mysqld": "rw,nosuid,nodev,size=16m,mode=1777", "/tmp": tmp },
    readiness: ["mariadb-admin", "--no-defaults", "-h", "127.0.0.1", "-P", port, "-u", user, `-p${password}`, "--connect-timeout=2", "ping"],
    readyLog: "ready for connections",
    // The official image grants its user only its own database; Django's test runner creates test_<name>.
    // WITH GRANT OPTION: Pony CI's login creates the users a cell's environment names (login-commands.ts).
    files: local ? [] : [{ containerPath: "/docker-entrypoint-initdb.d/ponyci.sql", content: `GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%' WITH GRANT OPTION;\n` }],
  };
}
