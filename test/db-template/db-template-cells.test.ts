import { describe, expect, it } from "@jest/globals";
import { createJobSpec } from "../../src/domain/job-spec.js";
import type { CellSpec } from "../../src/domain/cell-runner.js";
import { execa } from "execa";
import { writeFile } from "node:fs/promises";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { containersOf, createTestRunner, jobId, runSpec, TEST_DATA_DIR, type CollectedRun } from "../support/test-runner.js";

/**
 * Migrate once per environment (issue 28), with real containers: the first
 * cell migrates and the runner keeps the migrated test database; the next
 * cell with the same migrations and environment starts from it (the data
 * migration's one-off value is the first run's), a changed migration builds
 * it again, and a table a test left behind never reaches the next run.
 */
const runner = createTestRunner();

function specFor(repo: FixtureRepo, sha: string, database: "postgres" | "mariadb" | "sqlite"): CellSpec {
  const cell = { python: "3.11", django: "5.2", database } as const;
  const spec = createJobSpec(cell, database === "sqlite" ? {} : { services: [{ name: database, args: [] }] });
  return { jobId: jobId(`dbt-${database}`), source: { url: repo.dir, sha }, ...spec, environment: { ...spec.environment, ...(database === "sqlite" ? {} : { database }) } };
}

/** The value the fixture's data migration wrote, as its test reports it. */
function marker(run: CollectedRun): string | undefined {
  return /^marker=([0-9a-f]{32})$/.exec(run.tests.find((t) => t.id === "shop.tests.MigratedTests.test_marker")?.message ?? "")?.[1];
}

function outcome(run: CollectedRun) {
  return { conclusion: run.finished.conclusion, counts: run.finished.counts, failed: run.tests.filter((t) => t.outcome === "failed" || t.outcome === "error").map((t) => `${t.id}: ${t.message}`) };
}

const green = { conclusion: "success", counts: expect.objectContaining({ passed: 3, skipped: 1, total: 4 }), failed: [] };

describe.each(["postgres", "mariadb", "sqlite"] as const)("test database template on %s", (database) => {
  it("the second run starts from the first run's migrated database, without its tests' leftovers; a changed migration migrates again", async () => {
    const repo = await createFixtureRepo("django-migrations");
    const first = await runSpec(runner, specFor(repo, repo.sha, database));
    expect(outcome(first)).toEqual(green);
    expect(first.logs.some((l) => /^Kept the migrated test database as template [0-9a-f]{12} \(\d+ KiB in \d+ ms\)/.test(l))).toBe(true);
    const kept = marker(first);
    expect(kept).toBeDefined();

    const second = await runSpec(runner, specFor(repo, repo.sha, database));
    // test_no_poison passes: the first run's TransactionTestCase left a table in its test database after the copy.
    expect(outcome(second)).toEqual(green);
    // A server's template loads while the test container starts; the harness waits for it.
    const loaded = database === "sqlite" ? /^Test database from template [0-9a-f]{12} \(4 migration files; loaded in \d+ ms\)$/ : /^Test database from template [0-9a-f]{12} \(4 migration files; loaded in \d+ ms, while the test container started\)$/;
    expect(second.logs.some((l) => loaded.test(l))).toBe(true);
    expect(second.logs).toContain("Test database template: Django's migrate skipped (every migration on disk is applied in it)");
    expect(marker(second)).toBe(kept);

    const changed = await repo.commit("a new migration", {
      "shop/migrations/0004_noop.py": [
        "from django.db import migrations",
        "",
        "",
        "class Migration(migrations.Migration):",
        '    dependencies = [("shop", "0003_product_price")]',
        '    operations = [migrations.RunSQL("SELECT 1", migrations.RunSQL.noop)]',
        "",
      ].join("\n"),
    });
    const third = await runSpec(runner, specFor(repo, changed, database));
    expect(outcome(third)).toEqual(green);
    expect(third.logs.some((l) => /^Kept the migrated test database as template/.test(l))).toBe(true);
    expect(marker(third)).not.toBe(kept);
    for (const run of [first, second, third]) {
      const started = run.events.find((e) => e.type === "started");
      expect(started?.type === "started" && (await containersOf(started.jobId))).toEqual([]);
    }
  });
});

describe("a server's template that cannot be loaded", () => {
  it("is said in the log, and the harness, which waits for the load, migrates as usual: the run is green and its data fresh", async () => {
    const repo = await createFixtureRepo("django-migrations");
    const first = await runSpec(runner, specFor(repo, repo.sha, "postgres"));
    expect(outcome(first)).toEqual(green);
    const short = /^Kept the migrated test database as template ([0-9a-f]{12}) /.exec(first.logs.find((l) => l.startsWith("Kept the migrated")) ?? "")?.[1];
    expect(short).toBeDefined();
    // The kept dump is damaged on disk: pg_restore refuses it.
    const { stdout } = await execa("find", [TEST_DATA_DIR, "-name", `${short}*.pgdump`, "-type", "f"]);
    const files = stdout.split("\n").filter(Boolean);
    expect(files).toHaveLength(1);
    await writeFile(files[0]!, "not a dump");

    const second = await runSpec(runner, specFor(repo, repo.sha, "postgres"));
    expect(outcome(second)).toEqual(green);
    expect(second.logs.some((l) => new RegExp(`^Test database template ${short} not loaded \\(.*\\): migrating as usual; the next run keeps a new one$`).test(l))).toBe(true);
    expect(second.logs).not.toContain("Test database template: Django's migrate skipped (every migration on disk is applied in it)");
    expect(marker(second)).toBeDefined();
    expect(marker(second)).not.toBe(marker(first));
    // The damaged template was dropped: the next run keeps a new one, and the one after starts from it.
    const third = await runSpec(runner, specFor(repo, repo.sha, "postgres"));
    expect(outcome(third)).toEqual(green);
    expect(third.logs.some((l) => l.startsWith(`Kept the migrated test database as template ${short} `))).toBe(true);
  });
});
