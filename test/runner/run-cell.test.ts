import { describe, expect, it } from "@jest/globals";
import Docker from "dockerode";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createCellRunner } from "../../runner/src/cell/run-cell.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import { FIXTURES, createFixtureRepo, lineOf } from "../support/fixture-repo.js";
import { TEST_LIMITS, collect, containersOf, createTestRunner, jobId, runSpec } from "../support/test-runner.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { plannedEnvironment } from "../support/plan-requirements.js";

/** runCell against real Docker: exact verdicts, counts and failure locations. */
const runner = createTestRunner();

async function runFixture(name: string, cell: { python: string; django: string }, extra: { onlyTests?: string[]; firstTests?: string[]; command?: string } = {}) {
  const repo = await createFixtureRepo(name);
  const id = jobId(name);
  const run = await runSpec(runner, { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...createJobSpec(cell, { ...extra, environment: plannedEnvironment(repo.dir, cell) }) });
  expect(await containersOf(id)).toEqual([]);
  return run;
}

const outcomes = (tests: { id: string; outcome: string }[]) => Object.fromEntries(tests.map((t) => [t.id, t.outcome]));

describe("runCell", () => {
  it("a passing Django project (manage.py test): success with exact counts, events in order", async () => {
    const run = await runFixture("django-pass", { python: "3.11", django: "5.2" });
    expect(run.finished.conclusion).toBe("success");
    expect(run.finished.counts).toEqual({ passed: 3, failed: 0, error: 0, skipped: 1, xfail: 0, xpass: 0, total: 4 });
    expect(outcomes(run.tests)).toEqual({
      "polls.tests.QuestionModelTests.test_saves_and_reads_back": "passed",
      "polls.tests.QuestionModelTests.test_shout": "passed",
      "polls.tests.ArithmeticTests.test_addition": "passed",
      "polls.tests.ArithmeticTests.test_later": "skipped",
    });
    const types = run.events.map((e) => e.type);
    expect(types.indexOf("started")).toBeLessThan(types.indexOf("test"));
    expect(types.filter((t) => t === "finished")).toHaveLength(1);
    expect(run.finished.exitCode).toBe(0);
    expect(run.finished.testDurationMs).toBeGreaterThan(0);
    expect(run.finished.durationMs).toBeGreaterThanOrEqual(run.finished.testDurationMs);
  });

  it("a failing test is reported at its file:line (Python 3.13)", async () => {
    const run = await runFixture("django-fail", { python: "3.13", django: "5.2" });
    const file = path.join(FIXTURES, "django-fail/polls/tests.py");
    expect(run.finished.conclusion).toBe("failure");
    const failed = run.tests.find((t) => t.id === "polls.tests.QuestionTests.test_fails");
    expect(failed).toMatchObject({ outcome: "failed", location: { path: "polls/tests.py", line: lineOf(file, "ponyci-expect-fail") } });
    expect(failed?.message).toMatch(/AssertionError: 'A' != 'B'/);
    const errored = run.tests.find((t) => t.id === "polls.tests.QuestionTests.test_errors");
    expect(errored).toMatchObject({ outcome: "error", location: { path: "polls/tests.py", line: lineOf(file, "ponyci-expect-error") } });
    expect(errored?.message).toMatch(/KeyError/);
    expect(run.tests.find((t) => t.id === "polls.tests.QuestionTests.test_passes")?.outcome).toBe("passed");
  });

  it("re-runs only the named failed tests", async () => {
    const run = await runFixture("django-fail", { python: "3.11", django: "5.2" }, { onlyTests: ["polls.tests.QuestionTests.test_fails"] });
    expect(run.tests.map((t) => [t.id, t.outcome])).toEqual([["polls.tests.QuestionTests.test_fails", "failed"]]);
    expect(run.finished.counts).toMatchObject({ failed: 1, total: 1 });
  });

  it("failed first: the tests that failed last time run first in the container, the verdict unchanged", async () => {
    const plain = await runFixture("django-fail", { python: "3.11", django: "5.2" });
    const first = ["polls.tests.QuestionTests.test_subtests", "polls.tests.QuestionTests.test_fails"];
    const run = await runFixture("django-fail", { python: "3.11", django: "5.2" }, { firstTests: first });
    const ids = (r: typeof run) => r.tests.map((t) => t.id.split(" [")[0]);
    expect(ids(plain).slice(0, 2)).not.toEqual(["polls.tests.QuestionTests.test_fails", "polls.tests.QuestionTests.test_subtests"]);
    // unittest runs a class's tests in name order; PONYCI_FIRST puts these two ahead, in that order.
    expect(ids(run).slice(0, 2)).toEqual(["polls.tests.QuestionTests.test_fails", "polls.tests.QuestionTests.test_subtests"]);
    expect(outcomes(run.tests)).toEqual(outcomes(plain.tests));
    expect(run.finished.conclusion).toBe(plain.finished.conclusion);
    expect(run.finished.counts).toEqual(plain.finished.counts);
  });

  it("a settings typo that crashes before any test runs is an error at its file:line", async () => {
    const run = await runFixture("django-import-error", { python: "3.11", django: "5.2" });
    expect(run.finished.conclusion).toBe("failure");
    expect(run.finished.error?.message).toMatch(/No module named 'pollz'/);
    expect(run.finished.error?.location).toEqual({
      path: "mysite/settings.py",
      line: lineOf(path.join(FIXTURES, "django-import-error/mysite/settings.py"), "ponyci-expect-fail"),
    });
    expect(run.finished.counts.passed).toBe(0);
  });

  it("a pytest-django project, its test dependencies from requirements-test.txt", async () => {
    const run = await runFixture("pytest-django", { python: "3.11", django: "5.2" });
    expect(run.finished.conclusion).toBe("failure");
    expect(outcomes(run.tests)).toEqual({
      "polls/tests.py::test_saves_question": "passed",
      "polls/tests.py::test_shout_is_wrong": "failed",
    });
    expect(run.tests.find((t) => t.outcome === "failed")?.location).toEqual({
      path: "polls/tests.py",
      line: lineOf(path.join(FIXTURES, "pytest-django/polls/tests.py"), "ponyci-expect-fail"),
    });
  });

  it("tests that need a requirements file pass on Python 3.9 × Django 4.2", async () => {
    const run = await runFixture("django-requirements", { python: "3.9", django: "4.2" });
    expect(run.finished.conclusion).toBe("success");
    expect(run.finished.counts).toMatchObject({ passed: 2, total: 2 });
    expect(run.logs.some((line) => /Django 4\.2\.\d+/.test(line))).toBe(true);
  });

  it("a pluggable app with runtests.py", async () => {
    const run = await runFixture("django-app-runtests", { python: "3.11", django: "5.2" });
    expect(run.finished.conclusion).toBe("failure");
    const failed = run.tests.filter((t) => t.outcome === "failed");
    expect(failed.map((t) => t.location)).toEqual([
      { path: "tests/test_utils.py", line: lineOf(path.join(FIXTURES, "django-app-runtests/tests/test_utils.py"), "ponyci-expect-fail") },
    ]);
  });

  it("cancel stops the container promptly and finishes cancelled", async () => {
    const repo = await createFixtureRepo("hostile");
    const id = jobId("cancel");
    const abort = new AbortController();
    const events = runner.cells.runCell(
      { jobId: id, source: { url: repo.dir, sha: repo.sha }, ...createJobSpec({ python: "3.11", django: "5.2" }, { command: "python manage.py test hostile.test_endless" }) },
      { signal: abort.signal },
    );
    let cancelledAt = 0;
    const collected = collect(
      (async function* () {
        for await (const event of events) {
          if (event.type === "started") {
            setTimeout(() => {
              cancelledAt = Date.now();
              abort.abort();
            }, 500);
          }
          yield event;
        }
      })(),
    );
    const run = await collected;
    expect(run.finished.conclusion).toBe("cancelled");
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(await containersOf(id)).toEqual([]);
  });

  it("a Docker daemon that does not answer is an infrastructure error, with its cause", async () => {
    const repo = await createFixtureRepo("django-pass");
    const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-nodocker-"));
    const docker = new Docker({ socketPath: path.join(dataDir, "no-docker.sock") });
    const cells = createCellRunner({
      docker,
      checkout: createCheckout({ cacheDir: path.join(dataDir, "git") }),
      environments: createEnvironmentBuilder({ docker, cacheDir: path.join(dataDir, "env") }),
      workDir: path.join(dataDir, "work"),
      limits: TEST_LIMITS,
    });
    const run = await collect(cells.runCell({ jobId: jobId("nodocker"), source: { url: repo.dir, sha: repo.sha }, ...createJobSpec({ python: "3.11", django: "5.2" }) }));
    expect(run.finished.conclusion).toBe("error");
    expect(run.finished.error?.message).toMatch(/^Infrastructure error: /);
    expect(run.finished.infrastructureError).toBeInstanceOf(Error);
  });
});
