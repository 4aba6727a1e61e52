import { afterEach, describe, expect, it } from "@jest/globals";
import type Docker from "dockerode";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { createDbTemplateStore } from "../../runner/src/db-template/create-db-template-store.js";
import { createRunnerSources, runnerLayout } from "../../runner/src/gc/create-runner-sources.js";
import { createDbTemplateSource } from "../../runner/src/gc/list-db-template-items.js";
import { collectGarbage } from "../../src/gc/collect-garbage.js";
import { formatGcReport } from "../../src/gc/format-gc-report.js";

/**
 * The kept test-database templates (issue 28) are one of the garbage
 * collector's kinds: listed with their size and last use, removed least
 * recently used first, never while a cell holds one (copying it in or
 * writing it); a half-written capture and the lease of a dead process are garbage.
 */
const DAY = 24 * 3_600_000;
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe("test-database templates in the garbage collector", () => {
  it("are listed with size and last use, and never removed while a cell uses one", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "ponyci-dbt-gc-"));
    roots.push(dataDir);
    const dir = runnerLayout(dataDir).dbTemplatesDir;
    const store = createDbTemplateStore({ dir });
    const now = Math.floor(Date.now() / 1000) * 1000; // whole seconds: file times round-trip exactly
    const [a, b, c] = ["a", "b", "c"].map((ch) => ch.repeat(64)) as [string, string, string];
    for (const [key, engine, at] of [[a, "postgresql", now - 3 * DAY], [b, "mysql", now - 2 * DAY], [c, "sqlite", now - DAY]] as const) {
      const file = await store.keep(key, engine, (tmp) => writeFile(tmp, Buffer.alloc(64 * 1024, 1)));
      await utimes(file, new Date(at), new Date(at));
    }
    // A cell is copying the oldest in (its lease is held), a crashed capture left a partial and a lease.
    const held = await store.find(a, "postgresql");
    const partial = join(dir, `${c}.sqlite3.0badf00d.partial`);
    await writeFile(partial, "half");
    await utimes(partial, new Date(now - 2 * DAY), new Date(now - 2 * DAY));
    await writeFile(join(dir, "leases", `${c}.sqlite3.deadbeef.lease`), `${hostname()}:999999`);
    await writeFile(join(dir, "unrelated.txt"), "not a template");

    const source = createDbTemplateSource({ dir, isAlive: (pid) => pid === process.pid, now });
    const items = (await source.list()).map(({ remove: _remove, ...item }) => item).sort((x, y) => x.id.localeCompare(y.id));
    expect(items).toEqual([
      { kind: "db-template", id: `${a}.pgdump`, bytes: expect.any(Number), lastUsedMs: expect.any(Number), inUse: true },
      { kind: "db-template", id: `${b}.sql`, bytes: expect.any(Number), lastUsedMs: now - 2 * DAY, inUse: false },
      { kind: "db-template", id: `${c}.sqlite3`, bytes: expect.any(Number), lastUsedMs: now - DAY, inUse: false },
      { kind: "db-template", id: `${c}.sqlite3.0badf00d.partial`, bytes: expect.any(Number), lastUsedMs: now - 2 * DAY, inUse: false, garbage: true },
      { kind: "db-template", id: `leases/${c}.sqlite3.deadbeef.lease`, bytes: 0, lastUsedMs: 0, inUse: false, garbage: true },
    ]);
    expect(items.find((i) => i.id === `${b}.sql`)!.bytes).toBeGreaterThanOrEqual(64 * 1024);
    // Its last use is when a cell last found it (the store touches it): now, for the held one.
    expect(items[0]!.lastUsedMs).toBeGreaterThanOrEqual(now - 60_000);

    // The composer's sources include them (server, `ponyci gc`, `ponyci runner`): a budget of nothing removes all but the held one.
    const sources = createRunnerSources({ docker: {} as Docker, dataDir, isAlive: (pid) => pid === process.pid }).filter((s) => s.kind === "db-template");
    expect(sources).toHaveLength(1);
    const report = await collectGarbage({ sources, budgetBytes: 0, graceMs: 0 });
    expect(report.kinds["db-template"]).toMatchObject({ count: 5, removed: 4, inUse: 1 });
    expect(formatGcReport(report)).toMatch(/test-database templates/);
    expect((await readdir(dir)).sort()).toEqual([`${a}.pgdump`, "leases", "unrelated.txt"]);
    expect(await readdir(join(dir, "leases"))).toHaveLength(1);

    // Once the cell let go, it goes too.
    await held!.release();
    const after = await collectGarbage({ sources, budgetBytes: 0, graceMs: 0 });
    expect(after.kinds["db-template"]).toMatchObject({ removed: 1, inUse: 0 });
    expect((await readdir(dir)).sort()).toEqual(["leases", "unrelated.txt"]);
  });
});
