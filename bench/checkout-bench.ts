/**
 * Warm-path checkout benchmark: how long a job waits for its workspace when the
 * mirror already has the commit (the common case). Builds a throw-away repository
 * of ~200 files, clones it once, then times `checkout` of the same commit into
 * fresh workspaces. Run after `npm run build`: `node dist/bench/checkout-bench.js [runs]`.
 */
import { execa } from "execa";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createCheckout } from "../runner/src/checkout/create-checkout.js";
import { renderBenchTable, type BenchRow } from "./support/bench-row.js";
import { isMainModule } from "./support/is-main-module.js";

const identity = { GIT_AUTHOR_NAME: "bench", GIT_AUTHOR_EMAIL: "b@example.invalid", GIT_COMMITTER_NAME: "bench", GIT_COMMITTER_EMAIL: "b@example.invalid" };

/** Creates a repository of `files` Python-ish files in 20 packages and returns its file:// url and head. */
async function makeRepository(dir: string, files: number): Promise<{ url: string; sha: string }> {
  await execa("git", ["init", "--quiet", "--initial-branch=main", dir]);
  for (let i = 0; i < files; i++) {
    const path = join(dir, `pkg${i % 20}`, `module_${i}.py`);
    await mkdir(join(dir, `pkg${i % 20}`), { recursive: true });
    await writeFile(path, `"""Module ${i}."""\n\n${"def f():\n    return 42\n\n".repeat(40)}`);
  }
  await execa("git", ["add", "--all"], { cwd: dir });
  await execa("git", ["commit", "--quiet", "-m", "bench"], { cwd: dir, env: identity });
  const { stdout } = await execa("git", ["rev-parse", "HEAD"], { cwd: dir });
  return { url: pathToFileURL(dir).href, sha: stdout.trim() };
}

/** Prints cold and warm (median, min, max) checkout times in milliseconds; returns them as summary rows. */
export async function runCheckoutBench(runs = 20): Promise<BenchRow[]> {
  const root = await mkdtemp(join(tmpdir(), "ponyci-checkout-bench-"));
  try {
    const { url, sha } = await makeRepository(join(root, "origin"), 200);
    const checkout = createCheckout({ cacheDir: join(root, "cache") });
    let started = performance.now();
    await (await checkout.checkout({ url, sha, workspaceDir: join(root, "ws-cold") })).remove();
    const cold = performance.now() - started;
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      started = performance.now();
      const ws = await checkout.checkout({ url, sha, workspaceDir: join(root, `ws-${i}`) });
      warm.push(performance.now() - started);
      await ws.remove();
    }
    warm.sort((a, b) => a - b);
    const median = warm[Math.floor(warm.length / 2)] ?? NaN;
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(`checkout of a 200-file repository: cold ${fmt(cold)}; warm (n=${runs}) median ${fmt(median)}, min ${fmt(warm[0] ?? NaN)}, max ${fmt(warm.at(-1) ?? NaN)}`);
    return [
      { bench: "checkout", metric: "cold (clone into mirror + workspace)", value: fmt(cold) },
      { bench: "checkout", metric: `warm workspace (median of ${runs})`, value: fmt(median) },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) {
  console.log(`\n${renderBenchTable(await runCheckoutBench(Math.min(Number(process.argv[2] ?? 20), 200)))}`);
}
