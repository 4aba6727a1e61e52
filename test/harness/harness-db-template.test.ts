import { beforeAll, describe, expect, it } from "@jest/globals";
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureVenv, runHarness, type HarnessRun } from "./harness-fixture.js";

/**
 * The harness's side of the migrated-database template (issue 28) on the
 * host, SQLite, with the runner played by the test: capture (the copy, the
 * event, the wait for the ack) and restore, under Django's runner and under
 * pytest-django; a project whose tables come from models keeps no template.
 */
describe("harness: test database template", () => {
  let venvBin = "";
  beforeAll(async () => {
    venvBin = await ensureVenv({ name: "django52", requirements: ["django~=5.2.0", "pytest", "pytest-django"] });
  }, 600_000);

  const marker = (run: HarnessRun) => run.events.map((e) => /^marker=(\w+)$/.exec(String(e.message ?? ""))?.[1]).find(Boolean);

  /** Run the harness in `mode`, acking a capture the way the runner does: the copy kept, then `ack`. */
  async function runWith(mode: "capture" | "restore", dirs: { dir: string; out: string; kept: string }, files?: Record<string, string | null>): Promise<HarnessRun> {
    let acked = false;
    const watcher = setInterval(() => {
      if (acked) return;
      void stat(join(dirs.out, "template.sqlite3")).then(async () => {
        if (acked) return;
        acked = true;
        await copyFile(join(dirs.out, "template.sqlite3"), dirs.kept);
        await writeFile(join(dirs.dir, "ack"), "done\n");
      }, () => undefined);
    }, 50);
    try {
      return await runHarness({
        project: "django-migrations",
        venvBin,
        env: { PONYCI_DB_TEMPLATE: mode, PONYCI_DB_TEMPLATE_ENGINE: "sqlite", PONYCI_DB_TEMPLATE_DIR: dirs.dir, PONYCI_DB_TEMPLATE_OUT: dirs.out, PONYCI_DB_TEMPLATE_WAIT: "30" },
        ...(files ? { files } : {}),
      });
    } finally {
      clearInterval(watcher);
    }
  }

  async function scratch() {
    const root = await mkdtemp(join(tmpdir(), "ponyci-dbt-"));
    const dirs = { root, dir: join(root, "dir"), out: join(root, "out"), kept: join(root, "kept.sqlite3") };
    await mkdir(dirs.dir);
    await mkdir(dirs.out);
    return dirs;
  }

  it.each([
    ["Django's runner", undefined],
    ["pytest-django", { "manage.py": null, "pytest.ini": "[pytest]\nDJANGO_SETTINGS_MODULE = mysite.settings\npython_files = tests.py\n" }],
  ])("under %s: a capture announced before the tests, then a restore that does not migrate again", async (_name, files) => {
    const dirs = await scratch();
    try {
      const first = await runWith("capture", dirs, files);
      expect(first.exitCode).toBe(0);
      expect(first.events.filter((e) => e.event === "db_template")).toEqual([{ event: "db_template", state: "ready", engine: "sqlite" }]);
      // The event comes before any test result: the copy is of the migrated database alone.
      const order = first.events.map((e) => e.event);
      expect(order.indexOf("db_template")).toBeLessThan(order.indexOf("test"));
      await rm(join(dirs.dir, "ack"));
      await copyFile(dirs.kept, join(dirs.dir, "template.sqlite3"));
      const second = await runWith("restore", dirs, files);
      expect(second.exitCode).toBe(0);
      // The template is the migrated state: Django's migrate (every migration module imported to find nothing to do) is skipped.
      expect(second.events.filter((e) => e.event === "db_template")).toEqual([{ event: "db_template", state: "restored", migrate: "skipped" }]);
      expect(marker(second)).toBe(marker(first));
    } finally {
      await rm(dirs.root, { recursive: true, force: true });
    }
  }, 120_000);

  it("migrates on top of the template when a migration on disk is not in it (the key would differ; the harness checks anyway)", async () => {
    const dirs = await scratch();
    try {
      const first = await runWith("capture", dirs);
      expect(first.exitCode).toBe(0);
      await copyFile(dirs.kept, join(dirs.dir, "template.sqlite3"));
      const second = await runWith("restore", dirs, {
        "shop/migrations/0004_gadget.py": [
          "from django.db import migrations, models",
          "",
          "",
          "class Migration(migrations.Migration):",
          '    dependencies = [("shop", "0003_product_price")]',
          '    operations = [migrations.CreateModel(name="Gadget", fields=[("id", models.AutoField(primary_key=True))])]',
          "",
        ].join("\n"),
        "shop/tests_gadget.py": "from django.test import TestCase\nfrom django.db import connection\n\n\nclass GadgetTests(TestCase):\n    def test_gadget_table(self):\n        self.assertIn(\"shop_gadget\", connection.introspection.table_names())\n",
      });
      expect(second.exitCode).toBe(0);
      expect(second.events.filter((e) => e.event === "db_template")).toEqual([{ event: "db_template", state: "restored", migrate: "ran" }]);
      expect(marker(second)).toBe(marker(first));
      expect(second.events.filter((e) => e.event === "test" && String(e.id ?? "").includes("test_gadget_table")).map((e) => e.outcome)).toEqual(["passed"]);
    } finally {
      await rm(dirs.root, { recursive: true, force: true });
    }
  }, 120_000);

  it("keeps no template when tables come from models (an app without migrations), and says why", async () => {
    const dirs = await scratch();
    try {
      const run = await runWith("capture", dirs, { "shop/migrations/0001_initial.py": null, "shop/migrations/0002_marker.py": null, "shop/migrations/0003_product_price.py": null, "shop/migrations/__init__.py": null });
      expect(run.events.filter((e) => e.event === "db_template")).toEqual([{ event: "db_template", state: "skipped", reason: "apps without migrations (tables from models): shop" }]);
    } finally {
      await rm(dirs.root, { recursive: true, force: true });
    }
  }, 120_000);
});
