/**
 * Migrate once per environment (issue 28): a generated project with 300
 * migrations (10 apps × 30: tables created, columns added with defaults,
 * indexes) on PostgreSQL, one cell run twice on a fresh data directory. The
 * first run migrates (and the runner keeps the migrated database: the copy's
 * cost is printed apart); the second starts from the kept template. Database
 * set-up = the harness's own timing of Django's create_test_db (create +
 * migrate, or the restored template renamed + keepdb, its no-op migrate
 * skipped, after waiting for the runner's pg_restore of the template into
 * the fresh server, which runs while the test container starts: only what
 * the start does not cover is on the cell's path). The restore's own time
 * is printed apart.
 * Target: second ≤ 0.1 × first. `rounds` pairs, each on a new repository.
 *
 * Two schemas: independent tables, and related ones (foreign keys: what makes
 * a real project's migrate slow, as Django renders related model states).
 *
 * Run after `npm run build`: `node dist/bench/db-template-bench.js [rounds] [migrations] [plain|relations]` (default 1, 300, both).
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createJobSpec } from "../src/domain/job-spec.js";
import type { RunnerEvent } from "../src/domain/events.js";
import { createLocalRunner } from "../runner/src/create-local-runner.js";
import { withBenchContext, type BenchContext } from "./support/bench-context.js";
import { BENCH_LIMITS } from "./support/bench-limits.js";
import type { BenchRow } from "./support/bench-row.js";
import { assertCellSucceeded, collectCellRun, type CellRun } from "./support/collect-cell-run.js";
import { isMainModule } from "./support/is-main-module.js";
import { makeRepoFrom } from "./support/make-example-repo.js";
import { formatMs } from "./support/summarise-samples.js";

export const SETUP_RATIO_TARGET = 0.1;
const CELL_BUDGET_MS = 10 * 60_000;

export interface DbTemplateBenchOptions {
  context?: BenchContext;
  rounds?: number;
  migrations?: number;
  /** Which generated schema: independent tables, related ones (foreign keys), or both (default). */
  schemas?: Array<"plain" | "relations">;
}

/**
 * The files of a project with `count` migrations over 10 apps (no models.py: the tables are the
 * migrations'); `relations`: foreign keys between the models (within an app and to the previous app).
 */
export function generateMigrationsProject(count: number, relations = false): Record<string, string> {
  const apps = 10;
  const files: Record<string, string> = {
    "manage.py": 'import os, sys\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")\nfrom django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n',
    "site_settings.py": [
      "import os",
      'SECRET_KEY = "bench"',
      `INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", ${Array.from({ length: apps }, (_, a) => `"app${a}"`).join(", ")}]`,
      'DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": os.environ["DB_HOST"], "PORT": os.environ["DB_PORT"], "NAME": os.environ["DB_NAME"], "USER": os.environ["DB_USER"], "PASSWORD": os.environ["DB_PASSWORD"]}}',
      'DEFAULT_AUTO_FIELD = "django.db.models.AutoField"',
      "USE_TZ = True",
      "",
    ].join("\n"),
    "app0/tests.py": [
      "from django.db import connection",
      "from django.test import TestCase",
      "",
      "",
      "class MigratedTests(TestCase):",
      "    def test_tables(self):",
      "        self.assertGreater(len(connection.introspection.table_names()), 10)",
      "",
    ].join("\n"),
  };
  for (let a = 0; a < apps; a++) {
    files[`app${a}/__init__.py`] = "";
    files[`app${a}/migrations/__init__.py`] = "";
  }
  const perApp = Math.ceil(count / apps);
  let made = 0;
  for (let a = 0; a < apps && made < count; a++) {
    let models = 0;
    for (let k = 1; k <= perApp && made < count; k++, made++) {
      const depList = k === 1 ? [] : [`("app${a}", "${String(k - 1).padStart(4, "0")}_step")`];
      let op: string;
      if (k === 1 || k % 3 === 0) {
        models++;
        // With relations, every model points at the app's previous model and at the previous app's first one,
        // as real schemas do: what makes Django's migrate slow (it renders related model states, ticket #29898).
        const related: string[] = [];
        if (relations && models > 1) related.push(`("prev", models.ForeignKey(on_delete=models.CASCADE, to="app${a}.t${models - 1}"))`);
        if (relations && a > 0) {
          related.push(`("up", models.ForeignKey(null=True, on_delete=models.SET_NULL, related_name="+", to="app${a - 1}.t1"))`);
          if (k === 1) depList.push(`("app${a - 1}", "0001_step")`);
        }
        op = `migrations.CreateModel(name="T${models}", fields=[("id", models.AutoField(primary_key=True, serialize=False)), ("name", models.CharField(max_length=100)), ("created", models.DateTimeField(null=True))${related.map((r) => `, ${r}`).join("")}])`;
      } else if (k % 3 === 1) {
        op = `migrations.AddField(model_name="t${models}", name="f${k}", field=models.IntegerField(default=${k}))`;
      } else {
        op = `migrations.AddIndex(model_name="t${models}", index=models.Index(fields=["name"], name="a${a}_i${k}"))`;
      }
      files[`app${a}/migrations/${String(k).padStart(4, "0")}_step.py`] = `from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [${depList.join(", ")}]\n    operations = [${op}]\n`;
    }
  }
  return files;
}

type LoggedRun = CellRun & { logs: string[] };

/** The cell's event stream, its log lines kept aside. */
async function* keepLogs(events: AsyncIterable<RunnerEvent>, logs: string[]): AsyncIterable<RunnerEvent> {
  for await (const event of events) {
    if (event.type === "log") logs.push(event.line);
    yield event;
  }
}

/** Seconds the harness printed for `what` (its "ponyci: test database …" lines), in ms. */
function harnessMs(run: LoggedRun, pattern: RegExp): number | undefined {
  for (const line of run.logs) {
    const match = pattern.exec(line);
    if (match) return Number(match[1]) * 1000;
  }
  return undefined;
}

export async function runDbTemplateBench(options: DbTemplateBenchOptions = {}): Promise<BenchRow[]> {
  const rounds = Math.min(Math.max(1, Math.floor(options.rounds ?? 1)), 5);
  const count = Math.min(Math.max(10, Math.floor(options.migrations ?? 300)), 2000);
  return withBenchContext(options.context, async (context) => {
    const rows: BenchRow[] = [];
    for (const schema of options.schemas ?? ["plain", "relations"]) rows.push(...(await benchSchema(context, schema, rounds, count)));
    return rows;
  });
}

async function benchSchema(context: BenchContext, schema: "plain" | "relations", rounds: number, count: number): Promise<BenchRow[]> {
  {
    const source = path.join(context.dataDir, `generated-${schema}`);
    for (const [file, text] of Object.entries(generateMigrationsProject(count, schema === "relations"))) {
      await mkdir(path.dirname(path.join(source, file)), { recursive: true });
      await writeFile(path.join(source, file), text);
    }
    const runner = createLocalRunner({ dataDir: context.dataDir, baseImage: "auto", cell: BENCH_LIMITS });
    const spec = createJobSpec({ python: "3.11", django: "5.2", database: "postgres" }, { services: [{ name: "postgres", args: [] }] });
    const rows: BenchRow[] = [];
    for (let round = 0; round < rounds; round++) {
      const repo = await makeRepoFrom(source, path.join(context.dataDir, `repo-${randomUUID().slice(0, 8)}`), `${count} migrations`);
      const runOnce = async (what: string): Promise<LoggedRun> => {
        const begin = performance.now();
        const logs: string[] = [];
        const run = await collectCellRun(
          keepLogs(runner.cells.runCell({ jobId: `bench-dbt-${randomUUID().slice(0, 8)}`, source: { url: repo.dir, sha: repo.sha }, ...spec, environment: { ...spec.environment, database: "postgres" } }, { signal: AbortSignal.timeout(CELL_BUDGET_MS) }), logs),
          begin,
        );
        assertCellSucceeded(run, what);
        if (process.env.PONYCI_BENCH_TRACE) for (const line of logs.filter((l) => /ponyci|template|Service|Environment/i.test(l))) console.log(`  ${what}: ${line}`);
        return { ...run, logs };
      };
      const first = await runOnce("first run");
      const second = await runOnce("second run");
      const migrated = harnessMs(first, /^ponyci: test database set up in ([\d.]+) s \(migrated\)/);
      const copied = harnessMs(first, /^ponyci: test database copied for the template in ([\d.]+) s/);
      const fromTemplate = harnessMs(second, /^ponyci: test database set up in ([\d.]+) s \(from the template\)/);
      const restoreMatch = second.logs.map((l) => /^Test database from template \w+ \(\d+ migration files; loaded in (\d+) ms, while the test container started\)/.exec(l)).find(Boolean);
      if (migrated === undefined || fromTemplate === undefined || !restoreMatch) throw new Error(`round ${round}: the runs did not report their database set-up (first: ${migrated}, second: ${fromTemplate}, restore: ${restoreMatch?.[1]})`);
      const restored = Number(restoreMatch[1]);
      // On the cell's path: the harness's set-up, which includes waiting for whatever of the restore the container's start did not cover.
      const secondSetup = fromTemplate;
      const ratio = secondSetup / migrated;
      console.log(`${schema}, round ${round + 1}: first set-up ${formatMs(migrated)} (+ copy ${formatMs(copied ?? 0)}), second ${formatMs(secondSetup)} (rename/keepdb, with any wait for the restore; the restore itself ${formatMs(restored)}, while the test container started), ratio ${ratio.toFixed(3)}; cell wall ${formatMs(first.wallMs)} → ${formatMs(second.wallMs)}`);
      rows.push(
        { bench: "db-template", metric: `${count} migrations (${schema === "relations" ? "related tables" : "independent tables"}), PostgreSQL: first run's database set-up (migrate)`, value: `${formatMs(migrated)} (+ ${formatMs(copied ?? 0)} to copy it for the template)` },
        { bench: "db-template", metric: "second run's database set-up on the cell's path (rename + keepdb, migrate skipped, any wait for the restore)", value: formatMs(secondSetup) },
        { bench: "db-template", metric: "second run's pg_restore (while the test container started)", value: formatMs(restored) },
        { bench: "db-template", metric: "second ÷ first database set-up", value: `${ratio.toFixed(3)}×`, target: `≤ ${SETUP_RATIO_TARGET}×`, met: ratio <= SETUP_RATIO_TARGET },
        { bench: "db-template", metric: "cell wall time, first → second", value: `${formatMs(first.wallMs)} → ${formatMs(second.wallMs)}` },
      );
    }
    return rows;
  }
}

if (isMainModule(import.meta.url)) {
  const { renderBenchTable } = await import("./support/bench-row.js");
  const schema = process.argv[4];
  const rows = await runDbTemplateBench({ rounds: Number(process.argv[2] ?? 1), migrations: Number(process.argv[3] ?? 300), ...(schema === "plain" || schema === "relations" ? { schemas: [schema] } : {}) });
  console.log(`\n${renderBenchTable(rows)}`);
}
