import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createBuildService, MAX_PLAN_ATTEMPTS, type CellJobPayload, type ReadRepoFiles } from "../../src/builds/create-build-service.js";
import type { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { createEmbeddedQueue } from "../../src/queue/create-embedded-queue.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";

/**
 * Planning reads repository files on the server: every one of them is
 * hostile. Each bomb below becomes a config error (never a crash, never a
 * stuck event loop), and nothing is enqueued.
 */
let temp: ReturnType<typeof makeTempDir>;
let store: Store;
let queue: JobQueue<CellJobPayload>;

beforeAll(() => {
  temp = makeTempDir("ponyci-bombs-");
  store = openStore({ dataDir: temp.dir });
  queue = createEmbeddedQueue<CellJobPayload>({ store, concurrency: 1 });
});
afterAll(async () => {
  await queue.stop({ graceMs: 100 });
  store.close();
  temp.remove();
});

let n = 0;
async function planWith(readFiles: ReadRepoFiles): Promise<{ errors: RepoConfigError[]; buildId: number }> {
  const errors: RepoConfigError[] = [];
  const builds = createBuildService({ store, queue, readFiles, listeners: [{ configError: (_build, error) => void errors.push(error) }] });
  const submitted = builds.submit({ source: "bridge", repo: { name: `pony/bomb-${++n}`, cloneUrl: "/nowhere", visibility: "private" }, sha: "a".repeat(40), event: "push" });
  await submitted?.planned;
  return { errors, buildId: submitted?.build.id ?? 0 };
}
const files = (content: Record<string, string>): ReadRepoFiles => async (_request, paths) => new Map(paths.map((p) => [p, content[p]]));

const aliasBomb = `anchors:\n  - &a x\n${"  - *a\n".repeat(8000)}python: ["3.11"]\ndjango: ["5.2"]\n`;

describe("planning bombs end as config errors", () => {
  it.each([
    ["a tox envlist of 10^8 names", { "tox.ini": "[tox]\nenvlist = py{0-100}{0-100}{0-100}{0-100}\n" }, /^tox\.ini: the tox env list expands to 104060401 names; Pony CI reads at most 1000/],
    [
      "a tox deps condition of 10^8 names",
      { "tox.ini": "[tox]\nenvlist = py311-django52\n[testenv]\ndeps =\n  x{0-100}{0-100}{0-100}{0-100}: foo\n" },
      /^tox\.ini: .* expands to 104060401 names/,
    ],
    ["8000 YAML aliases", { ".github/ponyci.yml": aliasBomb }, /uses more than 100 YAML aliases/],
    [
      "a matrix of 2000 include entries",
      { ".github/ponyci.yml": `python: ["3.11"]\ndjango: ["5.2"]\ninclude:\n${Array.from({ length: 2000 }, (_, i) => `  - { python: "3.11", django: "5.2", n: "${i}" }\n`).join("")}` },
      /the matrix has 2000 combinations or entries; Pony CI reads at most 1024/,
    ],
    ["a 100 MB config file", { ".github/ponyci.yml": `# ${"x".repeat(100 * 1024 * 1024)}\n` }, /^\.github\/ponyci\.yml is 104857603 bytes: Pony CI reads planning files of at most 256 KiB/],
    ["a 300 KiB pyproject.toml", { "pyproject.toml": `# ${"x".repeat(300 * 1024)}\n` }, /^pyproject\.toml is \d+ bytes/],
  ])("%s", async (_what, content, message) => {
    const { errors, buildId } = await planWith(files(content));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(message);
    expect(store.getBuild(buildId)?.planState).toBe("config-error");
    expect(store.listJobs(buildId)).toEqual([]);
  }, 60_000);
});

describe("a build is planned a bounded number of times", () => {
  it(`gives up after ${MAX_PLAN_ATTEMPTS} attempts, counted across restarts, as a config error`, async () => {
    const failing: ReadRepoFiles = async () => {
      throw new Error("GitHub is down");
    };
    const first = await planWith(failing);
    expect(first.errors).toEqual([]);
    expect(store.getBuild(first.buildId)?.planState).toBe("pending");
    // Each restart plans the pending build again (planPending), and each attempt is counted before it runs.
    const errors: RepoConfigError[] = [];
    for (let restart = 2; restart <= MAX_PLAN_ATTEMPTS + 1; restart++) {
      const builds = createBuildService({ store, queue, readFiles: failing, listeners: [{ configError: (_build, error) => void errors.push(error) }] });
      await builds.planPending();
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(new RegExp(`tried to plan this commit ${MAX_PLAN_ATTEMPTS} times`));
    expect(store.getBuild(first.buildId)?.planState).toBe("config-error");
  });
});
