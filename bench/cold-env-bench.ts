/**
 * Cold environments (issue 12), in one run on a fresh data directory:
 *
 * - a 3-cell matrix (Python × Django) of examples/polls with 5 test
 *   dependencies, run concurrently like a build: cold (new key space, empty
 *   wheel cache), then warm; per resolver (uv, the default, and pip), side by
 *   side. Target: cold cell wall ≤ 3× warm cell wall (uv).
 * - a second project with the same dependencies, cold on the same data
 *   directory: it builds no new environment for them; a third with one more
 *   requirement: new environments, whose install unpacks only the new wheel.
 *
 * Run after `npm run build`: `node dist/bench/cold-env-bench.js [uv|pip|both]`.
 */
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { detectTestRequirements } from "../src/builds/detect-test-requirements.js";
import { environmentSpecFor } from "../src/builds/plan-job-spec.js";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import type { Cell } from "../src/domain/cell.js";
import { createJobSpec } from "../src/domain/job-spec.js";
import type { CellSpec } from "../src/domain/cell-runner.js";
import { createEnvironmentBuilder } from "../runner/src/environment/create-environment-builder.js";
import { createPipRunner } from "../runner/src/environment/run-pip.js";
import { ensureUv, UV_VERSION } from "../runner/src/environment/uv/ensure-uv.js";
import type { EnvironmentPhase, Resolver } from "../src/domain/environment-metrics.js";
import { resolveBaseImage } from "../runner/src/environment/resolve-base-image.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import type { BenchRow } from "./support/bench-row.js";
import { assertCellSucceeded, collectCellRun } from "./support/collect-cell-run.js";
import { createInstrumentedCellRunner } from "./support/create-instrumented-cell-runner.js";
import { isMainModule } from "./support/is-main-module.js";
import { makeExampleRepo, type ExampleRepo } from "./support/make-example-repo.js";
import { formatMs, summariseSamples } from "./support/summarise-samples.js";
import { describeHostCpu, hostCpuSnapshot } from "./support/host-cpu.js";
import { hostUvInstall } from "./support/host-uv-install.js";
import { attributeCellTime, type CellSlice } from "./support/attribute-cell-time.js";

/** Issue 28: a cold cell costs at most this much more than a warm cell plus the same install by uv on the host. */
export const COLD_FLOOR_RATIO_TARGET = 1.5;

export const COLD_WARM_RATIO_TARGET = 3;
const CELLS: Cell[] = [
  { python: "3.11", django: "4.2" },
  { python: "3.11", django: "5.2" },
  { python: "3.13", django: "5.2" },
];
const TEST_REQUIREMENTS = ["pytest", "pytest-django", "factory-boy", "freezegun", "coverage"];
const CELL_BUDGET_MS = 20 * 60_000;

async function makeProject(context: BenchContext, name: string, more: string[] = []): Promise<ExampleRepo> {
  const dir = path.join(context.dataDir, `repo-${name}-${randomUUID().slice(0, 8)}`);
  await makeExampleRepo("polls", dir);
  await writeFile(path.join(dir, "requirements-test.txt"), `${[...TEST_REQUIREMENTS, ...more].join("\n")}\n`);
  await writeFile(path.join(dir, "PROJECT"), `${name}\n`);
  await execa("git", ["add", "--all"], { cwd: dir });
  await execa("git", ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "--quiet", "-m", name], { cwd: dir });
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], { cwd: dir });
  return { dir, sha: stdout.trim() };
}

interface MatrixRun {
  walls: number[];
  /** The host's CPU over the matrix (describeHostCpu). */
  cpu?: string;
  built: number;
  phases: Map<EnvironmentPhase, number[]>;
  /** Each cell's wall time split at its log's milestones (attributeCellTime). */
  slices: CellSlice[][];
}

/** The median of each slice over the cells, "slice ms" per line (every second of a cell attributed). */
function describeSlices(cells: CellSlice[][]): string[] {
  const names = [...new Set(cells.flat().map((s) => s.slice))];
  return names.map((name) => {
    const ms = cells.map((slices) => slices.filter((s) => s.slice === name).reduce((sum, s) => sum + s.ms, 0));
    return `${name}: ${formatMs(summariseSamples(ms).median)}`;
  });
}

export async function runColdEnvBench(options: { context?: BenchContext; resolvers?: Resolver[] } = {}): Promise<BenchRow[]> {
  return withBenchContext(options.context, async (context) => {
    const rows: BenchRow[] = [];
    for (const resolver of options.resolvers ?? ["uv", "pip"]) {
      const dataDir = path.join(context.dataDir, `cold-${resolver}-${randomUUID().slice(0, 8)}`);
      await mkdir(dataDir, { recursive: true });
      const salt = `bench-${randomUUID()}`;
      const phases = new Map<EnvironmentPhase, number[]>();
      const counts = { built: 0 };
      // uv is a tool of the host, like Docker and git: installed once (its first fetch is timed below), not per data directory.
      const toolsDir = path.join(tmpdir(), "ponyci-bench-tools");
      const environments = createEnvironmentBuilder({
        docker: context.docker,
        cacheDir: path.join(dataDir, "environments"),
        toolsDir,
        baseImage: (python) => resolveBaseImage(context.docker, "auto", python),
        keySalt: salt,
        resolver,
        metrics: {
          phase: ({ phase, seconds }) => phases.set(phase, [...(phases.get(phase) ?? []), seconds * 1000]),
          ensured: ({ outcome }) => void (outcome === "built" && counts.built++),
        },
      });
      const runner = createInstrumentedCellRunner({ docker: context.docker, dataDir, limits: BENCH_LIMITS, environments });
      const matrix = async (repo: ExampleRepo, label: string): Promise<MatrixRun> => {
        phases.clear();
        counts.built = 0;
        // What the planner would install for this checkout (it reads the same files at planning time).
        const detected = detectTestRequirements({ readFile: (file) => (existsSync(path.join(repo.dir, file)) ? readFileSync(path.join(repo.dir, file), "utf8") : undefined) });
        const cpu0 = hostCpuSnapshot();
        const slices: CellSlice[][] = [];
        const walls = await Promise.all(
          CELLS.map(async (cell) => {
            const job = createJobSpec(cell, { environment: environmentSpecFor(cell, detected) });
            const spec: CellSpec = { jobId: `bench-${label}-${randomUUID().slice(0, 8)}`, source: { url: repo.dir, sha: repo.sha }, ...job };
            const begin = performance.now();
            const run = await collectCellRun(runner.cells.runCell(spec, { signal: AbortSignal.timeout(CELL_BUDGET_MS) }), begin);
            assertCellSucceeded(run, `${label} ${cell.python}×${cell.django}`);
            slices.push(attributeCellTime(run.systemLines, run.wallMs));
            return run.wallMs;
          }),
        );
        return { walls, built: counts.built, phases: new Map(phases), slices, cpu: describeHostCpu(cpu0, hostCpuSnapshot()) };
      };
      if (resolver === "uv") {
        const fresh = path.join(dataDir, "tools-first-fetch");
        const t0 = performance.now();
        await ensureUv({ toolsDir: fresh, runPip: createPipRunner() });
        const fetchMs = performance.now() - t0;
        await ensureUv({ toolsDir, runPip: createPipRunner() });
        console.log(`uv ${UV_VERSION}: fetched into an empty tools directory in ${formatMs(fetchMs)} (once per host)`);
        rows.push({ bench: "cold env (uv)", metric: `fetching uv ${UV_VERSION} the first time (once per host)`, value: formatMs(fetchMs) });
      }
      console.log(`${resolver}: 3-cell matrix (${CELLS.map((c) => `${c.python}×${c.django}`).join(", ")}), polls + ${TEST_REQUIREMENTS.join(", ")}`);
      const project = await makeProject(context, "first");
      // Both matrices start from a written-back disk (these machines' root is an ext4 without a journal, where
      // creating files soon after many were deleted is several times slower).
      await execa("sync");
      const cold = await matrix(project, "cold");
      // uv's environments are byte-compiled in the background, at the lowest CPU weight: warm means after that.
      const tIdle = performance.now();
      await environments.idle();
      const compileWait = performance.now() - tIdle;
      const compiled = phases.get("compile") ?? [];
      if (resolver === "uv") console.log(`  background byte-compile: done ${formatMs(compileWait)} after the cold matrix (${compiled.length} environments, median ${formatMs(summariseSamples(compiled.length ? compiled : [0]).median)} each)`);
      await execa("sync");
      const warm = await matrix(project, "warm");
      const coldMedian = summariseSamples(cold.walls).median;
      const warmMedian = summariseSamples(warm.walls).median;
      const ratio = coldMedian / warmMedian;
      const phaseText = [...cold.phases].filter(([p]) => p !== "compile").map(([p, ms]) => `${p} ${formatMs(summariseSamples(ms).median)}`).join(", ");
      console.log(`  cold: cells ${cold.walls.map(formatMs).join(", ")} (built ${cold.built}); phases (median) ${phaseText}`);
      console.log(`  cold cell, where the time goes (median of each slice):\n${describeSlices(cold.slices).map((l) => `    ${l}`).join("\n")}`);
      console.log(`  warm: cells ${warm.walls.map(formatMs).join(", ")} (built ${warm.built})`);
      console.log(`  warm cell, where the time goes (median of each slice):\n${describeSlices(warm.slices).map((l) => `    ${l}`).join("\n")}`);
      console.log(`  host CPU, cold matrix: ${cold.cpu ?? "n/a"}; warm matrix: ${warm.cpu ?? "n/a"}`);
      console.log(`  cold / warm (median cell wall): ${ratio.toFixed(2)}×`);
      const bench = `cold env (${resolver})`;
      rows.push(
        { bench, metric: "cold cell wall (median of 3, concurrent)", value: formatMs(coldMedian) },
        { bench, metric: "warm cell wall (median of 3, concurrent)", value: formatMs(warmMedian) },
        { bench, metric: "cold phases (median)", value: phaseText },
        { bench, metric: "cold cell by slice (median)", value: describeSlices(cold.slices).join("; ") },
        { bench, metric: "host CPU over the cold / warm matrix", value: `${cold.cpu ?? "n/a"} / ${warm.cpu ?? "n/a"}` },
        ...(resolver === "uv" ? [{ bench, metric: "background byte-compile, done after the cold matrix", value: formatMs(compileWait) }] : []),
        {
          bench,
          metric: "cold / warm",
          value: `${ratio.toFixed(2)}×`,
          ...(resolver === "uv" ? { target: `≤ ${COLD_WARM_RATIO_TARGET}×`, met: ratio <= COLD_WARM_RATIO_TARGET } : {}),
        },
      );
      if (resolver === "uv") {
        // The floor (issue 28): the same sets installed by uv on the host, no container, cold (an empty uv cache),
        // the three at once like the cells.
        const project = await makeProject(context, "floor");
        const detected = detectTestRequirements({ readFile: (file) => (existsSync(path.join(project.dir, file)) ? readFileSync(path.join(project.dir, file), "utf8") : undefined) });
        const uv = await ensureUv({ toolsDir, runPip: createPipRunner() });
        const floorCache = path.join(dataDir, "floor-uv-cache");
        const floors = await Promise.all(
          CELLS.map((cell) => {
            const [major, minor] = cell.django.split(".").map(Number);
            const requirements = [`django>=${cell.django},<${major}.${(minor ?? 0) + 1}`, ...environmentSpecFor(cell, detected).requirements];
            return hostUvInstall({ uv, python: cell.python, requirements, cacheDir: floorCache });
          }),
        );
        const floorMedian = summariseSamples(floors).median;
        const floorRatio = coldMedian / (warmMedian + floorMedian);
        console.log(`  floor: host uv install of the same sets, cold, concurrent: ${floors.map(formatMs).join(", ")}; cold ÷ (warm + floor) ${floorRatio.toFixed(2)}×`);
        rows.push(
          { bench, metric: "floor: the same install by uv on the host, cold (median of 3, concurrent)", value: formatMs(floorMedian) },
          { bench, metric: "cold cell ÷ (warm cell + host uv install)", value: `${floorRatio.toFixed(2)}×`, target: `≤ ${COLD_FLOOR_RATIO_TARGET}×`, met: floorRatio <= COLD_FLOOR_RATIO_TARGET },
        );
        const second = await matrix(await makeProject(context, "second"), "second");
        console.log(`  second project, same dependencies: cells ${second.walls.map(formatMs).join(", ")}, environments built ${second.built}`);
        rows.push({ bench, metric: "second project, same deps: environments built", value: String(second.built), target: "0", met: second.built === 0 });
        // A new requirement: new environments, but only its wheels are unpacked; the rest are links.
        const third = await matrix(await makeProject(context, "third", ["django-environ"]), "third");
        const installs = third.phases.get("install") ?? [0];
        console.log(`  third project, one more requirement: cells ${third.walls.map(formatMs).join(", ")}, environments built ${third.built}, install median ${formatMs(summariseSamples(installs).median)}`);
        rows.push({ bench, metric: "one more requirement: cell wall (median) / install (median)", value: `${formatMs(summariseSamples(third.walls).median)} / ${formatMs(summariseSamples(installs).median)}` });
        await environments.idle();
      }
    }
    return rows;
  });
}

if (isMainModule(import.meta.url)) {
  const which = process.argv[2] ?? "both";
  const rows = await runColdEnvBench({ resolvers: which === "both" ? ["uv", "pip"] : [which as Resolver] });
  const { renderBenchTable } = await import("./support/bench-row.js");
  console.log(`\n${renderBenchTable(rows)}`);
}
