import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { createLocalRunner, type LocalRunner } from "../../runner/src/create-local-runner.js";
import type { FinishedEvent, RunnerEvent, TestResult } from "../../src/domain/events.js";
import type { CellSpec } from "../../src/domain/cell-runner.js";
import { LABEL_JOB } from "../../runner/src/docker/labels.js";

/**
 * One data directory for every test process on this machine: environment
 * images and wheels are cached across test files (and runs), as in production.
 */
export const TEST_DATA_DIR = path.join(tmpdir(), "ponyci-test-data");

export const TEST_LIMITS = {
  memoryBytes: 1024 ** 3,
  nanoCpus: 1e9,
  pidsLimit: 256,
  timeoutSec: 300,
  logLimitBytes: 1024 ** 2,
};

export function createTestRunner(overrides: Partial<typeof TEST_LIMITS> = {}): LocalRunner {
  mkdirSync(TEST_DATA_DIR, { recursive: true });
  return createLocalRunner({ dataDir: TEST_DATA_DIR, baseImage: "auto", cell: { ...TEST_LIMITS, ...overrides } });
}

export interface CollectedRun {
  events: RunnerEvent[];
  tests: TestResult[];
  logs: string[];
  finished: FinishedEvent;
}

export async function collect(iterable: AsyncIterable<RunnerEvent>): Promise<CollectedRun> {
  const events: RunnerEvent[] = [];
  for await (const event of iterable) events.push(event);
  const finished = events.at(-1);
  if (finished?.type !== "finished") throw new Error(`the run did not end with finished: ${JSON.stringify(events.slice(-3))}`);
  return {
    events,
    tests: events.flatMap((e) => (e.type === "test" ? [e.test] : [])),
    logs: events.flatMap((e) => (e.type === "log" ? [e.line] : [])),
    finished,
  };
}

export function runSpec(runner: LocalRunner, spec: CellSpec, signal?: AbortSignal): Promise<CollectedRun> {
  return collect(runner.cells.runCell(spec, { signal }));
}

/** Containers Docker still has for a job (there must be none after a run). */
export async function containersOf(jobId: string): Promise<string[]> {
  const { stdout } = await execa("docker", ["ps", "-a", "-q", "--filter", `label=${LABEL_JOB}=${jobId}`]);
  return stdout.split("\n").filter(Boolean);
}

let counter = 0;
export function jobId(prefix: string): string {
  return `test-${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}
