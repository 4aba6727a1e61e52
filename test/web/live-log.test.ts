import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { fakeGitHub, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner } from "../support/steered-runner.js";
import type { RunningServer } from "../../src/server/start-server.js";
import { linesOf, readSse } from "./read-sse.js";

/**
 * A running cell's log over SSE, fed by the real job processor: a page
 * opened mid-run shows what was printed, the stream continues after it, and
 * a reconnect with Last-Event-ID resumes without a gap or a repeat.
 */
describe("live cell log", () => {
  let server: RunningServer;
  let base: string;
  const scripted = createSteeredRunner();

  beforeAll(async () => {
    fakeGitHub();
    server = await startTestServer({ runner: scripted.runner, settings: testServerSettings({ PONYCI_CONCURRENCY: "4" }) });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 500 });
  });

  it("streams lines printed before and after the page opened, each once, and resumes after Last-Event-ID", async () => {
    const repo = await createFixtureRepo("django-pass");
    // The cell fails a test never seen failing: without this, Pony CI would first confirm it
    // by a re-run (issue 15), and this test follows one attempt's stream to its end.
    const sha = await repo.commit("no confirmation re-runs", { ".github/ponyci.yml": "confirm_failures: false\n" });
    const submitted = server.ponyci.builds.submit({ source: "bridge", repo: { name: "live-app", cloneUrl: repo.dir, visibility: "public" }, sha, branch: "main", event: "post-receive" });
    await submitted?.planned;
    const cell = await waitFor(() => scripted.running()[0], 60_000, "a running cell");
    const job = server.ponyci.store.getJob(cell.jobId);
    const jobUrl = `/builds/${job?.buildId}/jobs/${cell.jobId}`;
    for (let i = 1; i <= 3; i++) cell.print(`early line ${i} <b>`);
    await waitFor(() => server.ponyci.store.getJob(cell.jobId)?.state === "running" || undefined);
    await new Promise((r) => setImmediate(r));

    // The page shows the early lines and where the stream goes on from.
    const page = await (await fetch(base + jobUrl)).text();
    expect(page).toContain("early line 3 &lt;b&gt;");
    const cursor = /data-cursor="([^"]+)"/.exec(page)?.[1] as string;
    expect(cursor).toBe("1.3");

    const fromPage = readSse(`${base}${jobUrl}/events?after=${cursor}`);
    const fromStart = readSse(`${base}${jobUrl}/events`);
    expect(await fromPage.status).toBe(200);
    expect(await fromStart.status).toBe(200);
    for (let i = 4; i <= 6; i++) cell.print(`late line ${i}`);
    cell.report({ id: "app.tests.T.test_x", outcome: "failed", durationMs: 3, message: "boom" });
    await waitFor(() => (linesOf(fromPage.events).length >= 3 && linesOf(fromStart.events).length >= 6) || undefined, 10_000, "lines over SSE");
    expect(linesOf(fromPage.events)).toEqual(["late line 4", "late line 5", "late line 6"]);
    expect(linesOf(fromStart.events)).toEqual(["early line 1 <b>", "early line 2 <b>", "early line 3 <b>", "late line 4", "late line 5", "late line 6"]);
    await waitFor(() => fromStart.events.find((e) => e.event === "counts" && JSON.parse(e.data).counts.failed === 1), 10_000, "live counts");

    // A reconnect after line 5 gets line 6 (and what follows), nothing twice.
    const lastId = fromStart.events.filter((e) => e.event === "lines").at(-1)?.id;
    expect(lastId).toBe("1.6");
    const resumed = readSse(`${base}${jobUrl}/events`, { "last-event-id": "1.5" });
    expect(await resumed.status).toBe(200);
    cell.print("line 7");
    await waitFor(() => linesOf(resumed.events).length >= 2 || undefined, 10_000, "resumed lines");
    expect(linesOf(resumed.events)).toEqual(["late line 6", "line 7"]);

    cell.finish();
    await waitFor(() => fromStart.events.find((e) => e.event === "end"), 10_000, "the end event");
    expect(JSON.parse(fromStart.events.find((e) => e.event === "end")?.data ?? "{}")).toEqual({ state: "failure" });
    // After the end, the stream replays the stored log (here: from line 6 on) and ends.
    const after = readSse(`${base}${jobUrl}/events`, { "last-event-id": "1.5" });
    await waitFor(() => after.events.find((e) => e.event === "end"), 10_000, "the stored log");
    expect(linesOf(after.events)).toEqual(["late line 6", "line 7"]);
    for (const stream of [fromPage, fromStart, resumed, after]) stream.close();
    expect(server.ponyci.store.readLog(cell.jobId).lines).toHaveLength(7);
  });
});
