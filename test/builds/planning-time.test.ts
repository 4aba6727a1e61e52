/**
 * Issue 23: planning is bounded in time, not only in size. A 1.6 KB tox.ini
 * of nested `{[x]k}` references spent the expansion budget once per env and
 * per reading (seconds of blocked event loop per push), and a chain of `-r`
 * includes ran the whole planning once per level.
 */
import { describe, expect, it } from "@jest/globals";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { planFromRepoFiles } from "../../src/builds/plan-from-repo-files.js";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import type { ReadRepoFile } from "../../src/builds/matrix/read-repo-file.js";

/** Eight levels of eight references each, under every setting of every one of 20 envs. */
function nestedToxIni(): string {
  const lines = ["[tox]", "envlist = py{39,310,311,312,313}-django{42,50,51,52}", ""];
  for (let i = 0; i < 8; i++) lines.push(`[l${i}]`, `k = ${`{[l${i + 1}]k}`.repeat(8)}`);
  lines.push("[l8]", `k = ${"x".repeat(300)}`, "", "[testenv]");
  for (const key of ["deps", "commands", "commands_pre", "commands_post", "set_env", "pass_env", "change_dir", "extras", "description", "labels"]) lines.push(`${key} = {[l0]k}`);
  for (const env of ["py313-django52", "py312-django51", "py311-django50", "py310-django42"]) lines.push("", `[testenv:${env}]`, ...["deps", "commands", "set_env"].map((key) => `${key} = {[l0]k} {[l1]k} {[l2]k}`));
  return `${lines.join("\n")}\n`;
}

/** Plans everything a push plans (the matrix and every cell's job spec) and returns the longest the event loop was blocked, in ms. */
async function longestBlock(read: ReadRepoFile): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, 30));
  const plan = planMatrix(read);
  for (const cell of plan.cells) planJobSpec(plan, cell);
  await new Promise((resolve) => setTimeout(resolve, 30));
  histogram.disable();
  return histogram.max / 1e6;
}

describe("planning time", () => {
  it("plans the nested tox.ini in well under half a second of event loop", async () => {
    const toxIni = nestedToxIni();
    expect(toxIni.length).toBeGreaterThan(1_500);
    expect(toxIni.length).toBeLessThan(2_000);
    // A new reader each time: one push's planning, its own parse and budget.
    const blocked = await longestBlock((path) => (path === "tox.ini" ? toxIni : undefined));
    // The old planning blocked for seconds here; the budget makes it tens of milliseconds (slack for a loaded machine).
    expect(blocked).toBeLessThan(500);
    const plan = planMatrix((path) => (path === "tox.ini" ? toxIni : undefined));
    expect(plan.cells.length).toBeGreaterThan(0);
    const notes = plan.cells.flatMap((cell) => planJobSpec(plan, cell).notes ?? []);
    expect(notes.join("\n")).toMatch(/tox references expand to more than 1000000 characters/);
  });

  it("plans once for a chain of -r includes: the includes are fetched first, then one planning", async () => {
    const files: Record<string, string> = {
      // A database named in the config: no settings files to scan, so no second planning for them.
      ".github/ponyci.yml": 'python: ["3.11"]\ndjango: ["5.2"]\nservices: [postgres]\n',
      "requirements.txt": "-r r0.txt\n",
      ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`r${i}.txt`, `${i < 4 ? `-r r${i + 1}.txt\n` : ""}pkg${i}\n`])),
    };
    let plannings = 0;
    const result = await planFromRepoFiles(
      async (paths) => new Map(paths.map((path) => [path, files[path]])),
      (read) => {
        plannings++;
        const plan = planMatrix(read);
        return planJobSpec(plan, plan.cells[0]!);
      },
    );
    expect(result.environment.requirements).toEqual(["pkg0", "pkg1", "pkg2", "pkg3", "pkg4"]);
    expect(plannings).toBe(1);
  });
});
