import type { BuildRecord } from "../../src/store/build-rows.js";
/**
 * The `ponyci` command line as a user meets it (the compiled CLI in a child
 * process): help on every command that starts nothing, --version, short
 * flags, `builds --json`, and read-only commands on a data directory that
 * holds no store.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { emptyCounts } from "../../src/domain/events.js";
import { openStore } from "../../src/store/open-store.js";
import type { ListedBuild } from "../../src/cli/builds-command.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "dist/src/cli/ponyci.js");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ponyci-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI with only the variables a test gives (no APP_ID, no Redis: `serve` would start its set-up page). */
function ponyci(args: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}) {
  return execa("node", [CLI, ...args], {
    reject: false,
    extendEnv: false,
    cwd: options.cwd ?? dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...env },
    timeout: 30_000,
    stdin: "ignore",
  });
}

describe("help", () => {
  const helps: [string[], string][] = [
    [["--help"], "Usage: ponyci <command> [options]"],
    [["-h"], "Usage: ponyci <command> [options]"],
    [["run", "--help"], "Usage: ponyci run [PATH | GIT-URL] [options] [-- ARGS...]"],
    [["serve", "--help"], "Usage: ponyci serve [options]"],
    [["serve", "-h"], "Usage: ponyci serve [options]"],
    [["runner", "--help"], "Usage: ponyci runner [options]"],
    [["builds", "--help"], "Usage: ponyci builds [options]"],
    [["show", "--help"], "Usage: ponyci show [options] <build>"],
    [["hook", "--help"], "Usage: ponyci hook [options] [command]"],
    [["hook", "install", "--help"], "Usage: ponyci hook install [options] <bare-repo>"],
    [["images", "--help"], "Usage: ponyci images [options]"],
    [["gc", "--help"], "Usage: ponyci gc [options]"],
    [["hash-password", "--help"], "Usage: ponyci hash-password [options]"],
    [["backup", "--help"], "Usage: ponyci backup [options] <file>"],
    [["help", "run"], "Usage: ponyci run [PATH | GIT-URL] [options] [-- ARGS...]"],
  ];

  it.each(helps)("ponyci %j prints its usage, exits 0 and starts nothing", async (args, usage) => {
    const dataDir = path.join(dir, `data-${args.join("-")}`);
    // The settings `serve` and `runner` would fail or act on: help reads none of them.
    const result = await ponyci(args, { PONYCI_DATA_DIR: dataDir, PONYCI_PORT: "0", PONYCI_CELL_TIMEOUT: "not-a-number" });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.split("\n")[0]).toBe(usage);
    expect(result.stdout).not.toMatch(/listening|register the GitHub App at/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("lists every command with a line on what it does", async () => {
    const result = await ponyci(["--help"]);
    for (const command of ["run", "serve", "runner", "builds", "show", "hook", "images", "gc", "hash-password", "backup"]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b.*\\S`, "m"));
    }
  });

  it("no command prints the list and exits 2; an unknown command or option exits 2 naming it", async () => {
    const none = await ponyci([]);
    expect(none.exitCode).toBe(2);
    expect(none.stdout).toContain("Usage: ponyci <command> [options]");
    const unknown = await ponyci(["biuld"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'biuld'/);
    const option = await ponyci(["builds", "--frob"], { PONYCI_DATA_DIR: dir });
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toBe("ponyci: unknown option '--frob' (see ponyci builds --help)");
    const extra = await ponyci(["serve", "now"]);
    expect(extra.exitCode).toBe(2);
    expect(extra.stderr).toMatch(/too many arguments/);
  });
});

describe("--version", () => {
  const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
  it.each([["--version"], ["-V"]])("ponyci %s prints package.json's version", async (flag) => {
    const result = await ponyci([flag]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(version);
  });
});

describe("a data directory that holds no store", () => {
  it.each([[["builds"]], [["builds", "--json"]], [["show", "1"]], [["backup", "copy.sqlite"]], [["gc"]], [["gc", "--dry-run"]]])("ponyci %j says so, exits 2 and creates nothing", async (args) => {
    const wrong = path.join(dir, "not-the-data-dir");
    const result = await ponyci(args, { PONYCI_DATA_DIR: wrong });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/there is no (Pony CI )?store (in|at) .*not-the-data-dir.*PONYCI_DATA_DIR/);
    expect(existsSync(wrong)).toBe(false);
  });

  it("an existing directory without ponyci.sqlite stays as it was", async () => {
    const empty = mkdtempSync(path.join(dir, "empty-"));
    const result = await ponyci(["builds"], { PONYCI_DATA_DIR: empty });
    expect(result.exitCode).toBe(2);
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe("ponyci builds", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(dir, "store-"));
    const store = openStore({ dataDir });
    const cell = { python: "3.12", django: "5.2" };
    store.createBuild({ repo: "acme/polls", source: "github", visibility: "public", sha: "a".repeat(40), branch: "main", event: "push", jobs: [{ cell }, { cell: { python: "3.13", django: "5.2" } }] });
    store.recordJobStarted("1-1");
    store.recordJobFinished({ jobId: "1-1", conclusion: "success", counts: { ...emptyCounts(), passed: 3, total: 3 } });
    store.createBuild({ repo: "acme/shop", source: "bridge", visibility: "private", sha: "b".repeat(40), prNumber: 7, event: "pull_request", trigger: { request: { upstream: { repo: "acme/polls", cloneUrl: "file:///srv/acme/polls", sha: "a".repeat(40), buildId: 1 } } as BuildRecord["trigger"]["request"] }, jobs: [{ cell }] });
    store.close();
  });

  it("--json prints the documented shape, newest first", async () => {
    const result = await ponyci(["builds", "--json"], { PONYCI_DATA_DIR: dataDir });
    expect(result.exitCode).toBe(0);
    const { builds } = JSON.parse(result.stdout) as { builds: ListedBuild[] };
    expect(builds).toEqual([
      {
        id: 2, repo: "acme/shop", source: "bridge", event: "pull_request", sha: "b".repeat(40), branch: null, prNumber: 7,
        status: "queued", state: "queued", conclusion: null, cells: { total: 1, ended: 0 }, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        upstream: { repo: "acme/polls", sha: "a".repeat(40), buildId: 1 },
      },
      {
        id: 1, repo: "acme/polls", source: "github", event: "push", sha: "a".repeat(40), branch: "main", prNumber: null,
        status: "running", state: "running", conclusion: null, cells: { total: 2, ended: 1 }, createdAt: expect.any(String), upstream: null,
      },
    ]);
  });

  it("short flags are the long ones: -r/--repo, -n/--limit", async () => {
    const long = await ponyci(["builds", "--repo", "acme/polls", "--limit", "1"], { PONYCI_DATA_DIR: dataDir });
    const short = await ponyci(["builds", "-r", "acme/polls", "-n", "1"], { PONYCI_DATA_DIR: dataDir });
    expect(long.exitCode).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    expect(short.stdout).toMatch(/#1\s+acme\/polls\s+main/);
    expect(short.stdout).not.toContain("acme/shop");
    const json = await ponyci(["builds", "--json", "-r", "nobody/else"], { PONYCI_DATA_DIR: dataDir });
    expect(JSON.parse(json.stdout)).toEqual({ builds: [] });
  });

  it("a bad --limit is a usage error", async () => {
    const result = await ponyci(["builds", "-n", "0"], { PONYCI_DATA_DIR: dataDir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--limit must be a whole number from 1 to 1000, not 0/);
  });
});
