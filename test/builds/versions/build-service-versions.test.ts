import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createBuildService, type CellJobPayload, type ReadRepoFiles } from "../../../src/builds/create-build-service.js";
import type { DjangoSupportTable } from "../../../src/builds/versions/django-support.js";
import type { JobQueue } from "../../../src/queue/job-queue.js";
import { openStore } from "../../../src/store/open-store.js";
import type { Store } from "../../../src/store/store.js";
import { makeTempDir } from "../../store/temp-dir.js";
import { testDjangoSupport } from "../../support/django-support-table.js";

/**
 * The server plans each build with what is true then: the Pythons the
 * installation's runners advertise (a cell none can run is left out with a
 * note naming the version and the command that adds it, instead of waiting
 * in a queue no runner takes), and Django's support table as the index says
 * it now (a new series is planned at the next build, no restart).
 */
let temp: ReturnType<typeof makeTempDir>;
let store: Store;
const queue = { enqueue: async () => undefined } as unknown as JobQueue<CellJobPayload>;

beforeAll(() => {
  temp = makeTempDir("ponyci-versions-service-");
  store = openStore({ dataDir: temp.dir });
});
afterAll(() => {
  store.close();
  temp.remove();
});

const tox = { "tox.ini": "[tox]\nenvlist = py{311,312,313}-django{52,61}\n" };
const readFiles: ReadRepoFiles = async (_request, paths) => new Map(paths.map((p) => [p, tox[p as keyof typeof tox]]));

describe("the build service plans with the installation's Pythons and the current Django table", () => {
  it("leaves out cells no runner advertises a Python for, and plans a Django series once the table has it", async () => {
    let pythons = ["3.11", "3.13"];
    let table: DjangoSupportTable = testDjangoSupport;
    const builds = createBuildService({ store, queue, readFiles, listeners: [], availablePython: async () => pythons, djangoSupport: { get: async () => table } });
    let n = 0;
    const plan = async () => {
      const submitted = builds.submit({ source: "bridge", repo: { name: "pony/versions", cloneUrl: "/nowhere", visibility: "private" }, sha: `${++n}`.padStart(40, "c"), event: "push" });
      await submitted?.planned;
      const id = submitted?.build.id ?? 0;
      const details = store.getBuild(id)?.plan as { notes?: string[] } | undefined;
      return { cells: store.listJobs(id).map((j) => `${j.cell.python}-${j.cell.django}`), notes: details?.notes ?? [] };
    };

    const first = await plan();
    expect(first.cells).toEqual(["3.11-5.2", "3.13-5.2"]);
    expect(first.notes).toContain("Python 3.12 is missing on this installation (it has 3.11, 3.13): left out; add it with `ponyci images add 3.12`");
    expect(first.notes.some((note) => note.startsWith("Django 6.1 has no release on the package index"))).toBe(true);

    // A runner with 3.12 joined; the index now has Django 6.1.
    pythons = ["3.11", "3.12", "3.13"];
    table = { ...testDjangoSupport, series: { ...testDjangoSupport.series, "6.1": { python: ["3.12", "3.13", "3.14"], latest: "6.1.3" } } };
    const second = await plan();
    expect(second.cells).toEqual(["3.11-5.2", "3.12-5.2", "3.12-6.1", "3.13-5.2", "3.13-6.1"]);
    expect(second.notes).toEqual(["Django 6.1 does not support Python 3.11: left out"]);
  });
});
