import { describe, expect, it } from "@jest/globals";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { runBuildContainer } from "../../runner/src/environment/run-build-container.js";

/**
 * A build container's stdout and stderr reach the host as two streams. A line
 * one of them writes in pieces must come out whole, even when the other
 * writes between the pieces (CI once read `imported` + a shell error + ` 1`
 * as one line of a build's output).
 */
const docker = createDocker();
const LIMITS = { memoryBytes: 256 * 1024 ** 2, nanoCpus: 1e9, pidsLimit: 64, timeoutSec: 60, logLimitBytes: 64 * 1024 };

describe("a build container's output", () => {
  it("keeps each stream's lines whole when the other writes between a line's pieces", async () => {
    const lines: string[] = [];
    const { exitCode } = await runBuildContainer(
      docker,
      { image: "ponyci/python:3.11", script: "printf 'imported'; sleep 0.3; echo 'sh: cannot create x: Read-only file system' >&2; sleep 0.3; printf ' 1\\n'", limits: LIMITS },
      { onLine: (line) => lines.push(line) },
    );
    expect(exitCode).toBe(0);
    expect(lines.sort()).toEqual(["imported 1", "sh: cannot create x: Read-only file system"]);
  }, 60_000);

  it("shares one output budget between the two streams", async () => {
    const lines: string[] = [];
    await runBuildContainer(
      docker,
      { image: "ponyci/python:3.11", script: "for i in $(seq 1 50); do echo out-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; echo err-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx >&2; done", limits: { ...LIMITS, logLimitBytes: 1000 } },
      { onLine: (line) => lines.push(line) },
    );
    const kept = lines.filter((line) => !line.startsWith("ponyci:"));
    expect(kept.reduce((sum, line) => sum + line.length + 1, 0)).toBeLessThanOrEqual(1000 + 64);
    expect(lines.at(-1)).toMatch(/^ponyci: \d+ lines of build output were dropped \(limit 1000 bytes\)$/);
    const dropped = Number(/(\d+) lines/.exec(lines.at(-1)!)![1]);
    expect(kept.length + dropped).toBe(100);
  }, 60_000);
});
