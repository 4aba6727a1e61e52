import { randomUUID } from "node:crypto";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { isProcessAlive } from "../../../src/domain/is-process-alive.js";
import { readUntrustedFile } from "../../../src/util/read-untrusted-file.js";

/** The directory of leases, inside a template store's directory. */
export const LEASES_DIR = "leases";
/** A lease older than this is stale whatever its owner (a copy or a dump never takes that long; a pid may be recycled). */
const MAX_LEASE_MS = 6 * 60 * 60 * 1000;

/**
 * Take a lease on the kept template `file` (a name in `dir`) while a cell
 * copies it in or writes it: the garbage collector never removes a template
 * with a live lease. A lease is a file `<file>.<random>.lease` under
 * `<dir>/leases` naming its owner ("host:pid"), so processes sharing the
 * data directory need no shared file. Returns the release (idempotent,
 * never throws).
 */
export async function takeLease(dir: string, file: string): Promise<() => Promise<void>> {
  const leases = path.join(dir, LEASES_DIR);
  await mkdir(leases, { recursive: true, mode: 0o700 });
  const lease = path.join(leases, `${file}.${randomUUID().slice(0, 8)}.lease`);
  await writeFile(lease, `${hostname()}:${process.pid}`, { mode: 0o600 });
  return () => rm(lease, { force: true }).catch(() => undefined);
}

export interface LeaseScan {
  /** Template file names with at least one live lease. */
  live: Set<string>;
  /** Lease files of owners that are gone (full paths): garbage. */
  stale: string[];
}

/** The leases under `dir`: which templates are in use, which leases are left from dead owners. */
export async function scanLeases(dir: string, options: { isAlive?: (pid: number) => boolean; now?: number } = {}): Promise<LeaseScan> {
  const isAlive = options.isAlive ?? isProcessAlive;
  const now = options.now ?? Date.now();
  const leases = path.join(dir, LEASES_DIR);
  const scan: LeaseScan = { live: new Set(), stale: [] };
  const names = await readdir(leases).catch(() => [] as string[]);
  for (const name of names) {
    const match = /^(.+)\.[0-9a-f]{8}\.lease$/.exec(name);
    const full = path.join(leases, name);
    const st = await stat(full).catch(() => undefined);
    if (!match || !st?.isFile()) continue;
    const owner = await readUntrustedFile(full, { maxBytes: 1024 });
    const at = owner?.lastIndexOf(":") ?? -1;
    const age = now - st.mtimeMs;
    // Unreadable or half-written: live for a minute (being written), then stale.
    let live = age < 60_000;
    if (owner !== undefined && at > 0) live = owner.slice(0, at) === hostname() ? isAlive(Number(owner.slice(at + 1))) && age < MAX_LEASE_MS : age < 24 * 60 * 60 * 1000;
    if (live) scan.live.add(match[1]!);
    else scan.stale.push(full);
  }
  return scan;
}
