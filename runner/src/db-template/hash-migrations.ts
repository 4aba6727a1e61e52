import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { readUntrustedBytes } from "../../../src/util/read-untrusted-file.js";

export interface HashMigrationsOptions {
  /** Migration files hashed at most (default 20,000: a 1,000-migration project has room to grow). */
  maxFiles?: number;
  /** Bytes per file (default 2 MiB) and in all (default 128 MiB). */
  maxFileBytes?: number;
  maxTotalBytes?: number;
  /** Directories visited at most (default 20,000) and their depth (default 12). */
  maxDirs?: number;
  maxDepth?: number;
}

/** The migrations' hash and how many files it covers, or why there is none. */
export type MigrationsHash = { hash: string; files: number; reason?: undefined } | { hash?: undefined; files?: undefined; reason: string };

/** Directories that hold no project migrations: VCS data, virtualenvs, caches, dependencies. */
const SKIPPED_DIRS = new Set(["node_modules", "__pycache__", "site-packages", "venv", "env"]);

/**
 * The hash of a checkout's Django migrations: every `*.py` file directly in a
 * directory named `migrations` (hidden directories, virtualenvs and
 * node_modules skipped; symbolic links never followed), as sorted
 * `path NUL sha256(content)` lines. Files are read as bytes through the
 * untrusted reader (O_NOFOLLOW, size and time bounds) and only ever hashed:
 * the result is an opaque key. Over any bound there is no hash (a template
 * keyed on part of the migrations would be wrong); a checkout without
 * migrations has none either (nothing to migrate once).
 */
export async function hashMigrations(root: string, options: HashMigrationsOptions = {}): Promise<MigrationsHash> {
  const maxFiles = options.maxFiles ?? 20_000;
  const maxFileBytes = options.maxFileBytes ?? 2 * 1024 ** 2;
  const maxTotalBytes = options.maxTotalBytes ?? 128 * 1024 ** 2;
  const maxDirs = options.maxDirs ?? 20_000;
  const maxDepth = options.maxDepth ?? 12;
  const lines: string[] = [];
  let dirs = 0;
  let total = 0;
  const pending: Array<{ rel: string; depth: number }> = [{ rel: "", depth: 0 }];
  while (pending.length > 0) {
    const { rel, depth } = pending.pop()!;
    if (++dirs > maxDirs) return { reason: `more than ${maxDirs} directories` };
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    const isMigrations = path.basename(rel) === "migrations";
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      // Dirent types come from lstat: a symbolic link is neither a directory nor a file here.
      if (entry.isDirectory()) {
        if (entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
        if (depth + 1 > maxDepth) continue;
        pending.push({ rel: child, depth: depth + 1 });
      } else if (isMigrations && entry.isFile() && entry.name.endsWith(".py")) {
        if (lines.length >= maxFiles) return { reason: `more than ${maxFiles} migration files` };
        let bytes: Buffer | undefined;
        try {
          bytes = await readUntrustedBytes(path.join(root, child), { maxBytes: maxFileBytes });
        } catch (error) {
          return { reason: `${child}: ${(error as Error).message.replace(root, ".")}` };
        }
        if (!bytes) continue;
        total += bytes.length;
        if (total > maxTotalBytes) return { reason: `migrations larger than ${maxTotalBytes} bytes in all` };
        lines.push(`${child}\0${createHash("sha256").update(bytes).digest("hex")}`);
      }
    }
  }
  if (lines.length === 0) return { reason: "no migrations in the checkout" };
  lines.sort();
  return { hash: createHash("sha256").update(lines.join("\n")).digest("hex"), files: lines.length };
}
