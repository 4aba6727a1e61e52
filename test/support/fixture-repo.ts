import { execa } from "execa";
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/projects");

const GIT_ENV = {
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@localhost",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@localhost",
};

export interface FixtureRepo {
  /** Work tree path; also usable as the clone URL. */
  dir: string;
  sha: string;
  /** Commit the work tree's changes; returns the new sha. */
  commit(message: string, files?: Record<string, string>): Promise<string>;
}

/** A real git repository holding a copy of test/fixtures/projects/<name>. */
export async function createFixtureRepo(name: string, options: { branch?: string } = {}): Promise<FixtureRepo> {
  const dir = mkdtempSync(path.join(tmpdir(), `ponyci-fixture-${name}-`));
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  await execa("git", ["init", "-q", "-b", options.branch ?? "main"], { cwd: dir });
  const commit = async (message: string, files: Record<string, string> = {}) => {
    for (const [file, text] of Object.entries(files)) {
      const { mkdirSync, writeFileSync } = await import("node:fs");
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    await execa("git", ["add", "-A"], { cwd: dir });
    await execa("git", ["commit", "-q", "--allow-empty", "-m", message], { cwd: dir, env: GIT_ENV });
    return (await execa("git", ["rev-parse", "HEAD"], { cwd: dir })).stdout.trim();
  };
  const sha = await commit("fixture");
  return { dir, sha, commit };
}

/** The 1-based line of `marker` in a fixture file (so tests never hard-code line numbers). */
export function lineOf(file: string, marker: string): number {
  const lines = readFileSync(file, "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(marker));
  if (index === -1) throw new Error(`${marker} not found in ${file}`);
  return index + 1;
}

/** Every file below dir, relative (for asserting nothing was written). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(path.relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}
