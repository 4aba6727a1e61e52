/**
 * Issue 21: versions as data.
 * 1. Planning a 30-env tox matrix (py{310..314}-django{42,50,51,52,60,61})
 *    with Django's support table from the package index: cold (an empty
 *    data directory: one index page and the wheels' metadata of releases
 *    newer than the shipped snapshot) against warm (the cached table),
 *    median of `rounds` each, and the ratio.
 * 2. Time to the first green cell on a Python this installation has no
 *    image for (`ponyci run --python X.Y`: the image is obtained on the
 *    cell's first need), against the same cell once the image exists. The
 *    image is not removed by the benchmark: when it exists, that part says
 *    how to measure it (`docker rmi ponyci/python:X.Y`).
 *
 * Run after `npm run build`: `node dist/bench/versions-bench.js [rounds] [python]` (default 5, 3.10; PyPy: pypy3.11).
 * Needs the package index (PyPI) for part 1, Docker and the host's CPython X.Y (or a Debian suite shipping it) for part 2.
 */
import { execa } from "execa";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { planMatrix } from "../src/builds/plan-matrix.js";
import { djangoSupportFromSettings } from "../src/server/django-support-from-settings.js";
import { listKnownDjango, listSupportedPython, shippedDjangoSupport } from "../src/builds/versions/django-support.js";
import { loadSettings } from "../src/settings/load-settings.js";
import { parsePythonName } from "../src/domain/python-name.js";
import { ownImage } from "../runner/src/remote/detect-pythons.js";
import type { BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? "../.." : "..");
const TOX = "[tox]\nenvlist = py{310,311,312,313,314}-django{42,50,51,52,60,61}\n";
const read = (file: string) => (file === "tox.ini" ? TOX : undefined);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function planOnce(dataDir: string): Promise<{ ms: number; cells: number }> {
  const settings = loadSettings({ PONYCI_DATA_DIR: dataDir }, "run");
  const t0 = performance.now();
  const table = await djangoSupportFromSettings(settings).get();
  const cells = planMatrix(read, { djangoSupport: table }).cells.length;
  return { ms: performance.now() - t0, cells };
}

/** Rows for the summary table. */
export async function runVersionsBench(options: { rounds?: number; python?: string } = {}): Promise<BenchRow[]> {
  const rounds = Math.min(options.rounds ?? 5, 20);
  const python = options.python ?? "3.10";
  const rows: BenchRow[] = [];
  const scratch = await mkdtemp(path.join(tmpdir(), "ponyci-versions-bench-"));
  try {
    const cold: number[] = [];
    let cells = 0;
    for (let i = 0; i < rounds; i++) {
      const run = await planOnce(path.join(scratch, `cold-${i}`));
      cold.push(run.ms);
      cells = run.cells;
    }
    const warmDir = path.join(scratch, "cold-0");
    const warm: number[] = [];
    for (let i = 0; i < rounds * 4; i++) warm.push((await planOnce(warmDir)).ms);
    const coldMs = median(cold);
    const warmMs = median(warm);
    console.log(`versions: 30-env tox matrix → ${cells} cells; plan with the index cold ${coldMs.toFixed(0)} ms, warm ${warmMs.toFixed(1)} ms (medians of ${rounds} and ${rounds * 4})`);
    rows.push(
      { bench: "versions", metric: `plan 30-env tox matrix (${cells} cells), index cache cold`, value: `${coldMs.toFixed(0)} ms` },
      { bench: "versions", metric: "same, index cache warm", value: `${warmMs.toFixed(1)} ms` },
      { bench: "versions", metric: "cold / warm", value: `${(coldMs / warmMs).toFixed(0)}×` },
    );

    const docker = new Docker();
    const named = parsePythonName(python) ?? { implementation: "cpython" as const, version: python };
    const image = ownImage({ implementation: named.implementation, python: named.version });
    const exists = await docker.getImage(image).inspect().then(() => true, () => false);
    if (exists) {
      console.log(`versions: ${image} exists; to time a first cell on a new Python: docker rmi ${image}`);
      rows.push({ bench: "versions", metric: `first green cell on a new Python ${python}`, value: `not measured (${image} exists)` });
      return rows;
    }
    const repo = path.join(scratch, "project");
    await cp(path.join(ROOT, "test/fixtures/projects/django-pass"), repo, { recursive: true });
    const git = (...args: string[]) => execa("git", args, { cwd: repo, env: { GIT_AUTHOR_NAME: "b", GIT_AUTHOR_EMAIL: "b@b", GIT_COMMITTER_NAME: "b", GIT_COMMITTER_EMAIL: "b@b" } });
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", "bench");
    const dataDir = path.join(scratch, "data");
    // The newest Django series that supports this Python, from the same table the planner uses.
    const table = shippedDjangoSupport();
    const django = listKnownDjango(table).filter((series) => listSupportedPython(table, series).includes(named.version)).at(-1) ?? "5.2";
    const runCell = async () => {
      const t0 = performance.now();
      const result = await execa("node", [path.join(ROOT, "dist/src/cli/ponyci.js"), "run", repo, "--python", python, "--django", django], { reject: false, env: { PONYCI_DATA_DIR: dataDir }, timeout: 1_800_000 });
      if (result.exitCode !== 0) throw new Error(`the cell on Python ${python} did not pass: ${String(result.stdout).split("\n").slice(-5).join(" ")}`);
      return performance.now() - t0;
    };
    const first = await runCell();
    const again = await runCell();
    console.log(`versions: first green cell on Python ${python} × Django ${django} (image obtained on the way) ${(first / 1000).toFixed(1)} s; the same cell with the image ${(again / 1000).toFixed(1)} s`);
    rows.push(
      { bench: "versions", metric: `first green cell on a new Python ${python} (image built on the way)`, value: `${(first / 1000).toFixed(1)} s` },
      { bench: "versions", metric: "same cell, image and environment there", value: `${(again / 1000).toFixed(1)} s` },
    );
    return rows;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  const [rounds, python] = process.argv.slice(2);
  await runVersionsBench({ rounds: rounds ? Number(rounds) : undefined, python });
}
