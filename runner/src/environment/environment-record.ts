import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Resolver } from "../../../src/domain/environment-metrics.js";
import { writeFileAtomic } from "../../../src/util/write-file-atomic.js";
import { BUILD_PREFIX } from "./build-environment-dir.js";

/* The last phase of an environment build: its record written and the directory published (create-environment-builder.ts). */

/** `env.json` beside each environment's venv. */
export interface EnvironmentRecord {
  version: 1;
  key: string;
  python: string;
  django: string;
  packages: string[];
  resolver: Resolver;
  /** False until the background byte-compile of a uv environment finished. */
  compiled: boolean;
  /** Holds wheels built from source distributions: tests run on the runtime image (toolchain/create-toolchain-images.ts). */
  runtime?: boolean;
}

/** The record of a published environment, or undefined when there is none (or it is unreadable: then it is rebuilt). */
export async function readEnvironment(envDir: string): Promise<EnvironmentRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(join(envDir, "env.json"), "utf8")) as EnvironmentRecord;
    if (record.version !== 1 || !Array.isArray(record.packages) || typeof record.django !== "string") return undefined;
    if (!(await stat(join(envDir, "venv"))).isDirectory()) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

export async function writeRecord(envDir: string, record: EnvironmentRecord): Promise<void> {
  await writeFileAtomic(join(envDir, "env.json"), `${JSON.stringify(record)}\n`, { mode: 0o644 });
}

/**
 * Put a finished build in place with one rename. When another process
 * published the same key first, its environment wins and this build goes.
 */
export async function publish(buildDir: string, envDir: string, record: EnvironmentRecord): Promise<EnvironmentRecord> {
  await writeRecord(buildDir, record);
  for (let attempt = 1; ; attempt++) {
    try {
      await rename(buildDir, envDir);
      return record;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      const existing = await readEnvironment(envDir);
      if (existing) {
        await rm(buildDir, { recursive: true, force: true });
        return existing;
      }
      // Something without a record is in the way (what a crash or a mount of a removed environment left): moved
      // aside as a build directory, which the garbage collector reaps, and the rename tried once more.
      if (attempt > 1) throw error;
      await rename(envDir, join(dirname(envDir), `${BUILD_PREFIX}stale-${randomBytes(6).toString("hex")}`));
    }
  }
}
