import { describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createCellRunner } from "../../runner/src/cell/run-cell.js";
import type { EnvironmentPort } from "../../src/domain/cell-runner.js";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import { EnvironmentError } from "../../src/domain/environment-error.js";
import { createJobSpec } from "../../src/domain/job-spec.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { TEST_DATA_DIR, TEST_LIMITS, collect, jobId } from "../support/test-runner.js";

/** The cell log is the project's: an environment's tools speak only when the build fails. */
const docker = createDocker();
mkdirSync(TEST_DATA_DIR, { recursive: true });
const real = createEnvironmentBuilder({ docker, cacheDir: path.join(TEST_DATA_DIR, "env") });
const noise = ["WARNING: pip index is currently an experimental command.", "Available versions: 5.2.3, 5.2.2, 5.2.1", "Collecting django==5.2.3"];

function runnerWith(environments: EnvironmentPort) {
  return createCellRunner({
    docker,
    checkout: createCheckout({ cacheDir: path.join(TEST_DATA_DIR, "git") }),
    environments,
    workDir: path.join(TEST_DATA_DIR, "work"),
    limits: TEST_LIMITS,
  });
}

async function runWith(environments: EnvironmentPort) {
  const repo = await createFixtureRepo("django-pass");
  return collect(runnerWith(environments).runCell({ jobId: jobId("cell-log"), source: { url: repo.dir, sha: repo.sha }, ...createJobSpec({ python: "3.11", django: "5.2" }, { notes: ["a planner note"] }) }));
}

const systemLines = (run: Awaited<ReturnType<typeof runWith>>) => run.events.flatMap((e) => (e.type === "log" && e.stream === "system" ? [e.line] : []));

describe("cell log", () => {
  it("shows Pony CI's steps as short lines and keeps the tools' output back when the environment builds", async () => {
    const run = await runWith({
      ensure: async (request, options) => {
        for (const line of noise) options?.onLog?.(line);
        options?.onLog?.("ponyci: building the environment");
        return real.ensure(request, options);
      },
    });
    expect(run.finished.conclusion).toBe("success");
    const lines = systemLines(run);
    for (const line of noise) expect(lines).not.toContain(line);
    expect(lines).toContain("building the environment");
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^Checked out in \d+\.\d s$/), expect.stringMatching(/^Environment [0-9a-f]{12} on ponyci\/python:3\.11 \(Django 5\.2\.\d+, (built|cached)\) in \d+\.\d s$/)]));
    expect(run.finished.notes).toEqual(["a planner note"]);
  });

  it("shows each phase of a cold environment build (issue 12: resolve, download, install)", async () => {
    const cold = createEnvironmentBuilder({ docker, cacheDir: path.join(TEST_DATA_DIR, "env"), resolver: "uv", keySalt: `cell-log-${randomUUID()}` });
    try {
      const run = await runWith(cold);
      expect(run.finished.conclusion).toBe("success");
      const lines = systemLines(run);
      const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
      const order = [/^building environment [0-9a-f]{12} \(Python 3\.11, Django 5\.2\.\d+/, /^resolve \d+\.\d s \(uv, \d+ packages\)$/, /^download \d+\.\d s \(/, /^install \d+\.\d s \(uv/, /^built environment [0-9a-f]{12} in \d+\.\d s$/].map(at);
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    } finally {
      await cold.close();
    }
  });

  it("stops an environment build still running when the checkout fails: no build outlives its cell", async () => {
    const repo = await createFixtureRepo("django-pass");
    let started = false;
    let abortedWith: unknown;
    const slow: EnvironmentPort = {
      ensure: (_request, options) =>
        new Promise((_resolve, reject) => {
          started = true;
          options?.signal?.addEventListener("abort", () => reject((abortedWith = options.signal?.reason ?? new Error("aborted"))), { once: true });
        }),
    };
    const run = await collect(runnerWith(slow).runCell({ jobId: jobId("cell-log"), source: { url: repo.dir, sha: "f".repeat(40) }, ...createJobSpec({ python: "3.11", django: "5.2" }) }));
    expect(started).toBe(true);
    expect(run.finished.conclusion).not.toBe("success");
    expect(abortedWith).toBeDefined();
  });

  it("shows the tools' last lines when the environment cannot be built", async () => {
    const run = await runWith({
      ensure: async (_request, options) => {
        for (const line of noise) options?.onLog?.(line);
        throw new EnvironmentError("project", "No matching distribution found for nopenope");
      },
    });
    expect(run.finished.conclusion).toBe("failure");
    const lines = systemLines(run);
    const at = lines.indexOf("Environment build failed; the last 3 lines of its output:");
    expect(at).toBeGreaterThan(-1);
    expect(lines.slice(at + 1, at + 4)).toEqual(noise);
    expect(run.finished.notes).toEqual(["a planner note"]);
  });
});
