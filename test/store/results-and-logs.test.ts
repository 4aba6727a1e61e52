import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import type { TestResult } from "../../src/domain/events.js";
import { createLogBuffer } from "../../src/store/create-log-buffer.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "./temp-dir.js";

describe("store: test results and logs", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let now: number;
  beforeEach(() => {
    temp = makeTempDir();
    now = 0;
    store = openStore({
      dataDir: temp.dir,
      logLimitBytes: 100,
      clock: { now: () => now, sleep: async () => {} },
    });
    store.createBuild({
      repo: "o/app",
      source: "cli",
      visibility: "public",
      sha: "a",
      event: "manual",
      jobs: [{ cell: { python: "3.11", django: "5.2" } }],
    });
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  it("stores a batch of test results and reads them back, filtered by outcome", () => {
    const results: TestResult[] = [
      { id: "polls.tests.A.test_ok", outcome: "passed", durationMs: 12.4 },
      {
        id: "polls.tests.A.test_bad",
        outcome: "failed",
        durationMs: 3,
        message: "AssertionError: 1 != 2",
        traceback: "Traceback …",
        location: { path: "polls/tests.py", line: 42 },
      },
      { id: "tests/test_x.py::test_boom", outcome: "error", durationMs: 0 },
    ];
    store.addTestResults("1-1", results);
    expect(store.listTestResults("1-1")).toEqual([{ ...results[0], durationMs: 12 }, results[1], results[2]]);
    expect(store.listTestResults("1-1", { outcomes: ["failed", "error"] }).map((r) => r.id)).toEqual([
      "polls.tests.A.test_bad",
      "tests/test_x.py::test_boom",
    ]);
  });

  it("writes no result of a batch that fails half way", () => {
    const bad = { id: "t.bad", outcome: "exploded", durationMs: 1 } as unknown as TestResult;
    expect(() =>
      store.addTestResults("1-1", [{ id: "t.good", outcome: "passed", durationMs: 1 }, bad]),
    ).toThrow(/Could not record 2 test results of job 1-1/);
    expect(store.listTestResults("1-1")).toEqual([]);
  });

  it("round-trips a log, compressed, across appends and a reopen", () => {
    store.close();
    store = openStore({ dataDir: temp.dir });
    const lines = ["Creating test database…", "Ran 3 tests in 0.01s", "", "OK ✓ ünïcode"];
    store.appendLog("1-1", lines.slice(0, 2));
    store.appendLog("1-1", lines.slice(2));
    store.close();
    store = openStore({ dataDir: temp.dir });
    const log = store.readLog("1-1");
    expect(log.lines).toEqual(lines);
    expect(log.droppedLines).toBe(0);
    expect(log.bytes).toBe(lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0));

    const repetitive = Array.from({ length: 2_000 }, (_, i) => `test_${i % 10} ... ok`);
    store.appendLog("1-1", repetitive);
    const stored = store.sqlite
      .prepare<[], { size: number }>("SELECT sum(length(gz)) AS size FROM job_log_chunks WHERE job_id = '1-1'")
      .get() as { size: number };
    expect(stored.size).toBeLessThan(repetitive.join("\n").length / 10);
    expect(store.readLog("1-1").lines).toEqual([...lines, ...repetitive]);
  });

  it("keeps a log within its size limit and counts the lines dropped", () => {
    const line = "x".repeat(29); // 30 bytes with its newline: three fit in 100
    expect(store.appendLog("1-1", [line, line])).toEqual({ kept: 2, dropped: 0 });
    expect(store.appendLog("1-1", [line, line, "short"])).toEqual({ kept: 1, dropped: 2 });
    // "short" would fit, but the log is a head: nothing after the first line dropped.
    expect(store.appendLog("1-1", ["y"])).toEqual({ kept: 0, dropped: 1 });
    const log = store.readLog("1-1");
    expect(log.lines).toEqual([line, line, line]);
    expect(log.bytes).toBe(90);
    expect(log.droppedLines).toBe(3);
  });

  it("has an empty log for a job that wrote nothing", () => {
    expect(store.readLog("1-1")).toEqual({ lines: [], bytes: 0, droppedLines: 0 });
  });

  it("buffers lines into few chunks, flushing by size, by time and on demand", () => {
    store.close();
    store = openStore({ dataDir: temp.dir, clock: { now: () => now, sleep: async () => {} } });
    const chunkCount = () =>
      (store.sqlite.prepare("SELECT count(*) AS n FROM job_log_chunks").get() as { n: number }).n;
    const buffer = createLogBuffer({ store, jobId: "1-1", clock: { now: () => now, sleep: async () => {} }, flushBytes: 50, flushMs: 1_000 });
    for (let i = 0; i < 10; i++) buffer.write(`line ${i}`); // 7 bytes each: a chunk every 8 lines
    expect(chunkCount()).toBe(1);
    expect(store.readLog("1-1").lines).toHaveLength(8);
    now += 1_000;
    buffer.write("late");
    expect(chunkCount()).toBe(2);
    buffer.write("last");
    buffer.flush();
    buffer.flush();
    expect(chunkCount()).toBe(3);
    expect(store.readLog("1-1").lines).toEqual([...Array.from({ length: 10 }, (_, i) => `line ${i}`), "late", "last"]);
  });
});
