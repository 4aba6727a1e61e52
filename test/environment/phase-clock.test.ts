import { describe, expect, it } from "@jest/globals";
import { createPhaseClock } from "../../runner/src/environment/create-phase-clock.js";
import type { EnvironmentPhase, Resolver } from "../../src/domain/environment-metrics.js";

describe("createPhaseClock", () => {
  it("logs and reports the metrics' phases, sums every step, and labels the metrics with the resolver in use", async () => {
    const lines: string[] = [];
    const reported: Array<[EnvironmentPhase, Resolver, number]> = [];
    const clock = createPhaseClock({ onLine: (l) => lines.push(l), resolver: "uv", metrics: { phase: (e) => void reported.push([e.phase, e.resolver, e.seconds]) } });
    clock.phase("probe", 40);
    clock.phase("resolve", 1200, "uv, 15 packages");
    clock.setResolver("pip");
    clock.phase("download", 3000, "pip: resolve and download");
    clock.phase("install", 2500);
    clock.phase("install", 1000); // a marker retry: a second install
    clock.phase("record", 10);
    expect(lines).toEqual(["ponyci: resolve 1.2 s (uv, 15 packages)", "ponyci: download 3.0 s (pip: resolve and download)", "ponyci: install 2.5 s", "ponyci: install 1.0 s"]);
    expect(reported).toEqual([["resolve", "uv", 1.2], ["download", "pip", 3], ["install", "pip", 2.5], ["install", "pip", 1]]);
    expect(clock.resolver()).toBe("pip");
    expect(clock.summary(7900)).toBe("environment: probe 0.0 s, resolve 1.2 s, download 3.0 s, install 3.5 s, record 0.0 s; 7.9 s in all");
  });

  it("times work, and a step that throws is summed but neither logged nor reported", async () => {
    const lines: string[] = [];
    const reported: EnvironmentPhase[] = [];
    const clock = createPhaseClock({ onLine: (l) => lines.push(l), resolver: "uv", metrics: { phase: (e) => void reported.push(e.phase) } });
    await expect(clock.time("download", async () => 3, (n) => `${n} wheels`)).resolves.toBe(3);
    await expect(clock.time("install", () => Promise.reject(new Error("no space left")))).rejects.toThrow("no space left");
    expect(lines).toEqual([expect.stringMatching(/^ponyci: download \d+\.\d s \(3 wheels\)$/)]);
    expect(reported).toEqual(["download"]);
    expect(clock.summary(100)).toMatch(/^environment: download \d+\.\d s, install \d+\.\d s; 0\.1 s in all$/);
  });

  it("swallows what a metrics callback throws (metrics never fail a build)", () => {
    const clock = createPhaseClock({ resolver: "uv", metrics: { phase: () => { throw new Error("broken exporter"); } } });
    expect(() => clock.phase("install", 5)).not.toThrow();
  });
});
