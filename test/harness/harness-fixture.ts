/**
 * Runs the Python harness (runner/harness/ponyci_harness.py) on the host
 * against a copy of a fixture project, inside a virtualenv cached under
 * os.tmpdir()/ponyci-test-venvs/<name> (created once with pip from PyPI,
 * reused while its ready-marker exists).
 */
import { execa } from "execa";
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(HERE, "../..");
export const HARNESS_DIR = join(REPO_ROOT, "runner/harness");
export const FIXTURES_DIR = join(REPO_ROOT, "test/fixtures/projects");
const VENV_ROOT = join(tmpdir(), "ponyci-test-venvs");
const READY_MARKER = ".ponyci-ready";

/** One JSON-lines event as the harness wrote it. */
export type HarnessEvent = Record<string, unknown> & { event: string };

export interface HarnessRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  events: HarnessEvent[];
  /** Where the fixture copy lives (PONYCI_REPO_ROOT). */
  root: string;
}

export interface VenvOptions {
  /** Cache directory name under os.tmpdir()/ponyci-test-venvs. */
  name: string;
  /** pip requirement specifiers. */
  requirements: string[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Waits for a mkdir-based lock so parallel jest workers never build the same venv twice. */
async function withLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += 500) {
    try {
      await mkdir(lockDir);
      break;
    } catch {
      if (waited > 600_000) throw new Error(`${lockDir} is held for 10 minutes; remove it if no test is running`);
      await new Promise((ok) => setTimeout(ok, 500));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/** Path of the `bin/` directory of a cached virtualenv with `requirements` installed. */
export async function ensureVenv(options: VenvOptions): Promise<string> {
  const dir = join(VENV_ROOT, options.name);
  const bin = join(dir, "bin");
  if (await exists(join(dir, READY_MARKER))) return bin;
  await mkdir(VENV_ROOT, { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    if (await exists(join(dir, READY_MARKER))) return bin;
    await rm(dir, { recursive: true, force: true });
    await execa("python3", ["-m", "venv", dir]);
    await execa(join(bin, "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...options.requirements]);
    await writeFile(join(dir, READY_MARKER), options.requirements.join("\n"));
    return bin;
  });
}

/** The 1-based line of `file` (relative to the fixture) holding `marker`, e.g. "# ponyci-expect-fail". */
export async function markerLine(project: string, file: string, marker = "# ponyci-expect-fail"): Promise<number> {
  const lines = (await readFile(join(FIXTURES_DIR, project, file), "utf8")).split("\n");
  const index = lines.findIndex((line) => line.includes(marker));
  if (index < 0) throw new Error(`${project}/${file} has no "${marker}" line`);
  return index + 1;
}

export interface RunHarnessOptions {
  /** Fixture directory name under test/fixtures/projects. */
  project: string;
  /** bin/ directory of the virtualenv to run in (first on PATH). */
  venvBin: string;
  env?: Record<string, string>;
  /** Changes to the fixture copy before the run: path -> content (null deletes). */
  files?: Record<string, string | null>;
  /** Runs in the fixture copy after the harness, before the copy is removed (e.g. to read a report it left). */
  afterRun?: (root: string) => Promise<void>;
}

/** Copies the fixture to a temp dir and runs the harness there; the copy is removed afterwards. */
export async function runHarness(options: RunHarnessOptions): Promise<HarnessRun> {
  const work = await mkdtemp(join(tmpdir(), `ponyci-harness-${options.project}-`));
  const root = join(work, "repo");
  try {
    await cp(join(FIXTURES_DIR, options.project), root, { recursive: true });
    for (const [path, content] of Object.entries(options.files ?? {})) {
      if (content === null) await rm(join(root, path), { force: true });
      else await writeFile(join(root, path), content);
    }
    const eventsFile = join(work, "events.jsonl");
    const env: Record<string, string> = {
      PATH: `${options.venvBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: process.env.HOME ?? work,
      PYTHONDONTWRITEBYTECODE: "1",
      PONYCI_EVENTS: eventsFile,
      PONYCI_REPO_ROOT: root,
      ...options.env,
    };
    const result = await execa(join(options.venvBin, "python"), [join(HARNESS_DIR, "ponyci_harness.py")], {
      cwd: root,
      env,
      extendEnv: false,
      reject: false,
    });
    const text = (await exists(eventsFile)) ? await readFile(eventsFile, "utf8") : "";
    const events = text
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as HarnessEvent);
    await options.afterRun?.(root);
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), events, root };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The `test` events, in order. */
export function testEvents(run: HarnessRun): HarnessEvent[] {
  return run.events.filter((event) => event.event === "test");
}

/** id -> outcome of every `test` event. */
export function outcomesById(run: HarnessRun): Record<string, unknown> {
  return Object.fromEntries(testEvents(run).map((event) => [event.id, event.outcome]));
}

/** The single `test` event with this id (throws if absent). */
export function testEvent(run: HarnessRun, id: string): HarnessEvent {
  const found = testEvents(run).find((event) => event.id === id);
  if (!found) throw new Error(`no test event "${id}" among ${testEvents(run).map((event) => event.id).join(", ")}`);
  return found;
}

/** The `end` event's totals. */
export function totals(run: HarnessRun): unknown {
  return run.events.at(-1)?.totals;
}
