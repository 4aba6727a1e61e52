import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ProbotOctokit } from "probot";
import { MAX_PLANNING_FILE_BYTES } from "../../src/builds/create-build-service.js";
import { MAX_UV_LOCK_BYTES } from "../../src/builds/plan-from-repo-files.js";
import { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import type { BuildRequest } from "../../src/domain/build-request.js";
import { createGitHubFileReader } from "../../src/github/create-github-file-reader.js";
import type { InstallationOctokit } from "../../src/github/installation-octokit.js";
import { CONTENTS, startFakeGitHubServer, type FakeGitHubServer } from "../support/fake-github-server.js";

/**
 * Issue 10: GitHub serves files of up to 100 MB, and a planning file is the
 * repository's choice. The reader streams the raw body and gives up at the
 * planning cap: a config error naming the file, the rest never downloaded
 * nor held in memory.
 */
const HUNDRED_MB = 100 * 1024 * 1024;
let github: FakeGitHubServer;
let read: ReturnType<typeof createGitHubFileReader>;
const request: BuildRequest = {
  source: "github",
  repo: { name: "pony/big", cloneUrl: "https://github.com/pony/big.git", visibility: "public", installationId: 7 },
  sha: "b".repeat(40),
  event: "push",
};

beforeAll(async () => {
  github = await startFakeGitHubServer();
  const octokit = new ProbotOctokit({ auth: { token: "ghs_test" }, baseUrl: github.url }) as InstallationOctokit;
  read = createGitHubFileReader(async () => octokit);
});
afterAll(async () => {
  await github.close();
});

function lastContentsRequest(file: string) {
  return github.requests.filter((r) => r.pathTemplate === CONTENTS && r.params.path === file).at(-1);
}

describe("the GitHub planning-file reader", () => {
  it("reads small files as text, a missing one as undefined, and one of exactly the cap", async () => {
    const atCap = `${"y".repeat(MAX_PLANNING_FILE_BYTES - 1)}\n`;
    github.setFiles("pony", "big", { ".github/ponyci.yml": 'python: ["3.11"]\n', "tox.ini": atCap });
    const files = await read(request, [".github/ponyci.yml", "tox.ini", "setup.cfg"]);
    expect(files.get(".github/ponyci.yml")).toBe('python: ["3.11"]\n');
    expect(files.get("tox.ini")).toBe(atCap);
    expect(files.has("setup.cfg")).toBe(true);
    expect(files.get("setup.cfg")).toBeUndefined();
    expect(lastContentsRequest("tox.ini")?.path).toContain(`ref=${request.sha}`);
    expect(github.violations()).toEqual([]);
  });

  it("reads a uv.lock of a few MB under its own bound (issue 22), and refuses one past it", async () => {
    const lock = `version = 1\n# ${"z".repeat(3 * 1024 * 1024)}\n`;
    github.setFiles("pony", "big", { "uv.lock": lock, "tox.ini": lock });
    expect((await read(request, ["uv.lock"])).get("uv.lock")).toBe(lock);
    await expect(read(request, ["tox.ini"])).rejects.toThrow(/^tox\.ini is \d+ bytes: Pony CI reads planning files of at most 256 KiB/);
    github.setFiles("pony", "big", { "uv.lock": { bytes: MAX_UV_LOCK_BYTES + 1, declareLength: false } });
    await expect(read(request, ["uv.lock"])).rejects.toThrow(`uv.lock is over ${MAX_UV_LOCK_BYTES} bytes: Pony CI reads uv.lock of at most 16 MiB.`);
    expect(github.violations()).toEqual([]);
  }, 60_000);

  it("reads a directory asked for as `dir/` as its file names, one per line", async () => {
    github.setFiles("pony", "big", { ".github/workflows/test.yml": "on: push\n", ".github/workflows/sub/x.yml": "", ".github/ponyci.yml": "" });
    const files = await read(request, [".github/workflows/", ".github/nothing/", ".github/workflows"]);
    expect(files.get(".github/workflows/")).toBe("test.yml");
    expect(files.get(".github/nothing/")).toBeUndefined();
    expect(files.get(".github/workflows")).toBeUndefined();
    expect(github.violations()).toEqual([]);
  });

  it.each([
    ["with a declared length", true, /^\.github\/ponyci\.yml is 104857600 bytes: Pony CI reads planning files of at most 256 KiB/],
    ["sent chunked, length unknown", false, /^\.github\/ponyci\.yml is over 262144 bytes: Pony CI reads planning files of at most 256 KiB/],
  ])("refuses a 100 MB file %s without downloading it", async (_how, declareLength, message) => {
    github.setFiles("pony", "big", { ".github/ponyci.yml": { bytes: HUNDRED_MB, declareLength }, "tox.ini": "[tox]\n" });
    global.gc?.();
    const before = process.memoryUsage();
    const error = await read(request, [".github/ponyci.yml", "tox.ini"]).catch((e: unknown) => e);
    const after = process.memoryUsage();
    expect(error).toBeInstanceOf(RepoConfigError);
    expect((error as RepoConfigError).file).toBe(".github/ponyci.yml");
    expect((error as RepoConfigError).message).toMatch(message);
    // Sanity, not a benchmark: a whole download would be 100 MB in the heap and far more on the wire.
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(40 * 1024 * 1024);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lastContentsRequest(".github/ponyci.yml")?.bytesSent ?? HUNDRED_MB).toBeLessThan(HUNDRED_MB / 4);
    // The fake (this process's event loop) still answers, and so does the reader.
    github.setFiles("pony", "big", { "tox.ini": "[tox]\nenvlist = py311\n" });
    expect((await read(request, ["tox.ini"])).get("tox.ini")).toBe("[tox]\nenvlist = py311\n");
  }, 60_000);
});
