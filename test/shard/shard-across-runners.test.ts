/**
 * Issue 28 item 2, for real: one cell split across two `ponyci runner`
 * processes (real Docker cells, SQLite, a real Redis), by the timings its
 * previous run recorded. One runner is killed (kill -9) while its shard has
 * already reported tests: the shard is queued again and runs on the other
 * runner, and the cell still reports each test exactly once, one started,
 * one finished. A class added since the timings were recorded runs once, in
 * the shard that runs "everything not listed elsewhere".
 */
import { afterAll, beforeAll, expect, it } from "@jest/globals";
import { hostname } from "node:os";
import { execa } from "execa";
import type { CellRunner, CellSpec } from "../../src/domain/cell-runner.js";
import type { FinishedEvent, RunnerEvent } from "../../src/domain/events.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { createRedisSeal } from "../../src/domain/redis-seal.js";
import { sumClassDurations } from "../../src/history/sum-class-durations.js";
import { createRemoteCellRunner, type RemoteCellRunner } from "../../src/remote/create-remote-cell-runner.js";
import { countRunnersFor } from "../../src/shard/count-runners-for.js";
import { createShardingCellRunner } from "../../src/shard/create-sharding-cell-runner.js";
import { LABEL_OWNER } from "../../runner/src/docker/labels.js";
import { startRunnerProcess, type RunnerProcess } from "../../bench/support/start-runner-process.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { TEST_DATA_DIR, collect, createTestRunner, jobId, runSpec } from "../support/test-runner.js";

const KEY = "shard-test-signing-key-0123456789abcdef";
/** Seconds each test of a class sleeps: 14.4 s of tests in 6 classes, two tests each. */
const SLEEPS = [2.0, 1.6, 1.2, 1.0, 0.8, 0.6];

function testsPy(extra = ""): string {
  const classes = SLEEPS.map((s, i) => `class Slow${i}Tests(TestCase):\n    def test_a(self):\n        time.sleep(${s})\n        Question.objects.create(text="a")\n        self.assertEqual(Question.objects.count(), 1)\n\n    def test_b(self):\n        time.sleep(${s})\n\n`);
  return `import time\n\nfrom django.test import TestCase\n\nfrom polls.models import Question\n\n\n${classes.join("\n")}${extra}`;
}

let redis: RedisServer;
let repo: FixtureRepo;
let server: RemoteCellRunner | undefined;
const runners: RunnerProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  repo = await createFixtureRepo("django-slow");
  await repo.commit("six slow classes", { "polls/tests.py": testsPy() });
}, 60_000);

afterAll(async () => {
  for (const runner of runners) {
    runner.child.kill("SIGKILL");
    await runner.exited;
  }
  // Containers the killed runners left (owner label host:pid).
  const owners = new Set(runners.map((r) => `${hostname()}:${r.child.pid}`));
  const { stdout } = await execa("docker", ["ps", "-a", "--filter", `label=${LABEL_OWNER}`, "--format", `{{.ID}} {{.Label "${LABEL_OWNER}"}}`]).catch(() => ({ stdout: "" }));
  const ids = stdout.split("\n").filter(Boolean).map((line) => line.split(" ")).filter(([, owner]) => owners.has(owner ?? "")).map(([id]) => id as string);
  if (ids.length > 0) await execa("docker", ["rm", "-f", "-v", ...ids]).catch(() => undefined);
  await server?.stop();
  await redis?.remove();
  await execa("rm", ["-rf", repo.dir]).catch(() => undefined);
}, 60_000);

it("splits a cell over two runners by its recorded timings; a runner killed mid-shard: the shard re-runs elsewhere and every test counts once", async () => {
  // 1. The previous run, whole, on this host: it records the timings (and builds the environment the runners share).
  const whole = await runSpec(createTestRunner(), { jobId: jobId("shard-whole"), source: { url: repo.dir, sha: (await currentSha()) }, ...createJobSpec({ python: "3.11", django: "5.2" }) });
  expect(whole.finished).toMatchObject({ conclusion: "success", counts: { passed: 12, total: 12 } });
  const timings = sumClassDurations(whole.tests);
  expect(Object.keys(timings)).toHaveLength(6);

  // 2. A class added since: not in the timings.
  const sha = await repo.commit("a new class", { "polls/tests.py": testsPy("class NewTests(TestCase):\n    def test_new(self):\n        time.sleep(0.5)\n") });

  // 3. Two runner processes, the server's remote runner, the sharding runner around it.
  for (const id of ["runner-a", "runner-b"]) runners.push(startRunnerProcess({ id, redisUrl: redis.url, signingKey: KEY, dataDir: TEST_DATA_DIR, pythons: ["3.11"], repoUrls: [repo.dir] }));
  await Promise.all(runners.map((r) => r.ready()));
  server = createRemoteCellRunner({ url: redis.url, seal: createRedisSeal(KEY), routeOf: () => ({ repo: "o/r", pullRequest: false, labels: [] }), pollMs: 200 });
  await server.start();
  const remote = server;
  /** What each shard attempt sent, as the server heard it (before the sharding runner's merge). */
  const heard = new Map<string, RunnerEvent[][]>();
  const tap: CellRunner = {
    runCell: (spec, options) => (async function* () {
      const events: RunnerEvent[] = [];
      heard.set(spec.jobId, [...(heard.get(spec.jobId) ?? []), events]);
      for await (const event of remote.runCell(spec, options)) {
        events.push(event);
        yield event;
      }
    })(),
  };
  const sharding = createShardingCellRunner({ inner: tap, runnersFor: async (spec) => countRunnersFor((await remote.metrics()).runners, spec.cell), minDurationMs: 5_000, maxShards: 4 });
  const job = jobId("shard");
  const spec: CellSpec = { jobId: job, source: { url: repo.dir, sha }, ...createJobSpec({ python: "3.11", django: "5.2" }), testTimings: timings };
  const run = collect(sharding.runCell(spec));

  // 4. Kill the runner of a shard that has already reported a test.
  const testsHeard = (attempts: RunnerEvent[][] | undefined) => (attempts?.[0] ?? []).filter((e) => e.type === "test").length;
  let doomedShard: string | undefined;
  for (let i = 0; i < 1200 && !doomedShard; i++) {
    doomedShard = [...heard.keys()].find((id) => testsHeard(heard.get(id)) > 0);
    if (!doomedShard) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!doomedShard) throw new Error(`no shard reported a test\n${runners.map((r) => r.output().slice(-2000)).join("\n---\n")}`);
  const doomed = runners.find((r) => r.taken().some((attempt) => attempt.startsWith(`${doomedShard}#`)));
  if (!doomed) throw new Error(`no runner took ${doomedShard}`);
  const survivor = runners.find((r) => r !== doomed)!;
  const lostTests = testsHeard(heard.get(doomedShard));
  doomed.child.kill("SIGKILL");
  await doomed.exited;

  const result = await run;
  const finished = result.finished as FinishedEvent;

  // One cell: one started, one finished, each test once (the lost attempt's tests dropped).
  expect(result.events.filter((e) => e.type === "started")).toHaveLength(1);
  expect(result.events.filter((e) => e.type === "finished")).toHaveLength(1);
  const ids = result.tests.map((t) => t.id).sort();
  const expected = [...SLEEPS.flatMap((_, i) => [`polls.tests.Slow${i}Tests.test_a`, `polls.tests.Slow${i}Tests.test_b`]), "polls.tests.NewTests.test_new"].sort();
  expect(ids).toEqual(expected);
  expect(finished).toMatchObject({ conclusion: "success", counts: { passed: 13, total: 13 } });
  // The killed runner's shard had reported tests (counting them would make 13 + lostTests), ran again on the survivor, and says so.
  expect(lostTests).toBeGreaterThan(0);
  expect(heard.get(doomedShard)).toHaveLength(2);
  expect(survivor.taken().filter((attempt) => attempt.startsWith(`${doomedShard}#`))).toHaveLength(1);
  const index = doomedShard.replace(/^.*\.shard/, "");
  expect(finished.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^Split across 2 runners by recorded timings: balance 1\.\d\d/), `Shard ${index}/2: Retried after runner ${doomed.id} was lost.`]));
  expect(result.logs).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^shard ${index}/2: runner ${doomed.id} was lost while running this cell; its \\d+ test results are dropped`))]));
}, 420_000);

async function currentSha(): Promise<string> {
  return (await execa("git", ["rev-parse", "HEAD"], { cwd: repo.dir })).stdout.trim();
}
