import { execa } from "execa";
import { existsSync } from "node:fs";
import { cp } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const GIT_ENV = { GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "bench@localhost", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "bench@localhost" };

export interface ExampleRepo {
  /** Work tree of the repository; also its clone URL. */
  dir: string;
  sha: string;
}

/** examples/<name> of this repository, from the sources (bench/support) or the build (dist/bench/support). */
export function exampleDir(name: string): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "examples", name);
    if (existsSync(path.join(candidate, "manage.py"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`examples/${name} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A git repository at `dir` holding one commit of examples/<name> (caches and databases left out). */
export function makeExampleRepo(name: string, dir: string): Promise<ExampleRepo> {
  return makeRepoFrom(exampleDir(name), dir, `examples/${name}`);
}

/** test/fixtures/projects/<name> of this repository, found like exampleDir. */
export function fixtureDir(name: string): string {
  return path.join(path.dirname(path.dirname(exampleDir("polls"))), "test", "fixtures", "projects", name);
}

/** A git repository at `dir` holding one commit of the directory `source`. */
export async function makeRepoFrom(source: string, dir: string, message: string): Promise<ExampleRepo> {
  await cp(source, dir, {
    recursive: true,
    filter: (source) => !/(__pycache__|\.pyc$|db\.sqlite3$)/.test(source),
  });
  await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  await execa("git", ["add", "--all"], { cwd: dir });
  await execa("git", ["commit", "--quiet", "-m", message], { cwd: dir, env: GIT_ENV });
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], { cwd: dir });
  return { dir, sha: stdout.trim() };
}
