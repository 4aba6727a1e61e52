import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { loadSettings } from "../../src/settings/load-settings.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import type { Conclusion, TestResult } from "../../src/domain/events.js";
import { createDashboard } from "../../src/web/create-dashboard.js";
import { silentLogger } from "../../src/domain/logger.js";
import type { CellFailures } from "../../src/store/cell-failure-rows.js";
import { createOutboxRows } from "../../src/outbox/outbox-rows.js";

const ARTIFACTS = path.resolve("test-artifacts", "dashboards");
const REPO = "acme/app";
const CELLS = [{ python: "3.11", django: "5.2" }, { python: "3.13", django: "5.2" }];
const FLAKY = "app.tests.NetTests.test_fetch";
const NEW = "app.tests.FormTests.test_clean";
const OLD = "app.tests.LegacyTests.test_export";

function chromiumPath(): string {
  return execFileSync("bash", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
}

/**
 * Issue 26: a repository page that explains at a glance, and a build page
 * that shows a confirmation re-run as an attempt of its cell, in Chromium,
 * from a store holding a real-looking history (written through the store's
 * own functions).
 */
describe("the repository page at a glance, in Chromium", () => {
  let dir: string;
  let store: Store;
  let http: Server;
  let base: string;
  let browser: Browser;
  const ids: Record<string, number> = {};

  /** One finished build of REPO: each cell's verdict, its failing tests; `confirm` adds a confirmation attempt of the first cell that passes the flaky test. */
  const record = (name: string, branch: string, verdicts: Conclusion[], options: { at: number; failing?: string[]; confirm?: boolean; buckets?: (cell: number) => CellFailures }) => {
    const sha = name.padEnd(40, "0").replace(/[^0-9a-f]/g, "a");
    const { build } = store.createBuild({ repo: REPO, source: "bridge", visibility: "public", sha, branch, event: "post-receive", planState: "pending" });
    const planned = store.recordBuildPlan(build.id, { state: "planned", details: { commit: { message: `Commit ${name}: <b>not bold</b>\n\nWhy it changed.`, author: "Ada Lovelace" }, testPolicy: { quarantine: [{ test: "app.tests.Slow*", until: "2027-01-31", reason: "#42 slow on CI" }] } }, jobs: CELLS.map((cell) => ({ cell })) });
    verdicts.forEach((conclusion, i) => {
      const job = planned?.jobs[i];
      if (!job) return;
      store.recordJobStarted(job.id, options.at);
      const failing = conclusion === "failure" ? (options.failing ?? []) : [];
      const results: TestResult[] = [
        { id: "app.tests.ModelTests.test_save", outcome: "passed", durationMs: 5 },
        { id: FLAKY, outcome: failing.includes(FLAKY) ? "failed" : "passed", durationMs: 8, ...(failing.includes(FLAKY) ? { message: "TimeoutError", location: { path: "app/tests.py", line: 31 } } : {}) },
        ...failing.filter((id) => id !== FLAKY).map((id, n): TestResult => ({ id, outcome: "failed", durationMs: 3, message: `AssertionError: ${id} <broke>\ndetails`, location: { path: "app/tests.py", line: 40 + n } })),
      ];
      store.addTestResults(job.id, results);
      store.recordJobFinished({ jobId: job.id, conclusion, counts: { passed: results.filter((r) => r.outcome === "passed").length, failed: failing.length, error: 0, skipped: 0, xfail: 0, xpass: 0, total: results.length }, failures: options.buckets?.(i), at: options.at + 60_000 + i * 15_000 + build.id * 5_000 });
      if (options.confirm && i === 0) {
        const [attempt] = store.createJobs(build.id, [{ id: `${job.id}-c1`, cell: job.cell, external: { onlyTests: [FLAKY], confirms: job.id } }]);
        if (!attempt) return;
        store.recordJobStarted(attempt.id, options.at + 70_000);
        store.addTestResults(attempt.id, [{ id: FLAKY, outcome: "passed", durationMs: 8 }]);
        store.recordJobFinished({ jobId: attempt.id, conclusion: "success", counts: { passed: 1, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 1 }, at: options.at + 80_000 });
      }
    });
    ids[name] = build.id;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-glance-"));
    store = openStore({ dataDir: dir });
    const hour = 3_600_000;
    const start = Date.now() - 30 * hour;
    record("b1", "main", ["success", "success"], { at: start });
    record("b2", "main", ["success", "success"], { at: start + 2 * hour });
    // The flaky test failed, its confirmation passed: the cell is judged by its tests, and the history knows the test as flaky.
    record("b3", "main", ["success", "success"], { at: start + 4 * hour, confirm: true });
    record("f1", "feature/x", ["success", "success"], { at: start + 5 * hour });
    record("b4", "main", ["failure", "success"], { at: start + 8 * hour, failing: [FLAKY] });
    // b5: test intelligence's buckets, stored with each cell's verdict: a new failure in both cells, one already failing on main since b4, the flaky one.
    const b4sha = store.getBuild(ids.b4 as number)?.sha ?? "";
    record("b5", "main", ["failure", "failure"], {
      at: start + 10 * hour,
      failing: [FLAKY, NEW, OLD],
      buckets: (cell) => ({
        headline: "1 new failure, 1 already failing on main, 1 flaky",
        base: { sha: b4sha, label: "main" },
        counts: { new: 1, "no-base": 0, "already-failing": 1, flaky: 1, quarantined: 0 },
        tests: [
          { id: NEW, bucket: "new" },
          { id: OLD, bucket: "already-failing", since: { sha: b4sha, at: start + 8 * hour, atLeast: false } },
          ...(cell === 0 ? [{ id: FLAKY, bucket: "flaky" as const, failureRate: { failed: 4, runs: 14 } }] : []),
        ],
        flakyPasses: [],
      }),
    });
    // b5's news, as the notifications' outbox recorded it: a refused address among good ones, a webhook that answered 500 until given up, a chat server that hangs.
    const outboxRows = createOutboxRows(store);
    const delivery = (channel: string, payload: Record<string, unknown>, end: (id: number) => void) => {
      const id = outboxRows.insert({ key: `notify:${ids.b5}:${channel}`, kind: channel, payload: { channel, repo: REPO, ...payload }, coalesce: false });
      outboxRows.markSending(id);
      end(id);
    };
    delivery("email", { to: ["team@example.com", "gone@example.com"], subject: "s", text: "t", html: "h", messageId: "<m@x>" }, (id) => outboxRows.markSent(id, { accepted: ["team@example.com"], rejected: ["gone@example.com"], response: "250 queued" }));
    delivery("webhook", { url: "https://hooks.example.com/ci", body: "{}", deliveryId: "d" }, (id) => outboxRows.markFailed(id, "HTTP 500 from hooks.example.com"));
    delivery("mattermost", { url: "https://chat.example.com/hooks/secret-token", text: "t" }, (id) => outboxRows.markRetry(id, "chat.example.com: no answer within 10000 ms", Date.now() + 60_000));
    // b3's first attempt of the first cell failed the flaky test (recorded after the fact: the attempt passed it).
    const b3jobs = store.listJobs(ids.b3 as number);
    store.addTestResults(b3jobs[0]?.id as string, [{ id: FLAKY, outcome: "failed", durationMs: 9, message: "TimeoutError" }]);

    const settings = loadSettings({ PONYCI_DATA_DIR: dir, PONYCI_PUBLIC_URL: "http://127.0.0.1" }, "run");
    const handler = createDashboard({ settings, log: silentLogger }).handler({ store, builds: { submit: () => undefined, cancelJobs: async () => undefined } });
    http = createServer((req, res) => void handler(req, res).then((handled) => (handled ? undefined : res.writeHead(404).end())));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows each branch's state and since when, the commits × cells grid, SVG trends, and the flaky and quarantined tests", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    // Every resource of the page loads (the favicon aside: the dashboards have none).
    page.on("response", (response) => void (response.status() >= 400 && !response.url().endsWith("/favicon.ico") && errors.push(`${response.status()} ${response.url()}`)));
    await page.goto(`${base}/repos/${encodeURIComponent(REPO)}`);
    expect(await page.locator('tr[data-branch="main"]').innerText()).toMatch(new RegExp(`main\\s+failing\\s+since #${ids.b4} \\(.+ ago\\)\\s+latest #${ids.b5} [0-9a-f]{7}`));
    expect(await page.locator('tr[data-branch="feature/x"]').innerText()).toMatch(new RegExp(`passing\\s+since #${ids.f1}`));
    // The grid: one row per build, one column per cell (the confirmation is no third column), the attempt counted.
    expect(await page.locator("table.console thead th span").allInnerTexts()).toEqual(["Python 3.11 · Django 5.2", "Python 3.13 · Django 5.2"]);
    expect(await page.locator("table.console tbody tr").count()).toBe(6);
    expect(await page.locator(`table.console tr[data-build="${ids.b3}"] a.tile`).first().getAttribute("title")).toBe("Python 3.11 · Django 5.2: success, 2 attempts");
    expect(await page.locator(`table.console tr[data-build="${ids.b5}"] a.tile.t-failure`).count()).toBe(2);
    // Trends: one bar per finished build, one point per build that ran tests; drawn by the server.
    expect(await page.locator('svg[data-trend="duration"] rect').count()).toBe(6);
    expect(await page.locator('svg[data-trend="pass-rate"] circle').count()).toBe(6);
    expect(await page.locator('svg[data-trend="pass-rate"] circle[fill="#cf222e"]').count()).toBe(2);
    // The flaky test: two outcomes on one commit and cell (b3); it failed 4 of its 14 runs.
    expect(await page.locator(`table.flaky tr[data-test="${FLAKY}"]`).innerText()).toMatch(/1 commit × cell\s+4\/14 \(29 %\)/);
    expect(await page.locator("ul.quarantine").innerText()).toContain("app.tests.Slow* until 2027-01-31 — #42 slow on CI");
    // The builds list is still there, below.
    expect(await page.locator("table.builds tbody tr").count()).toBe(6);
    await page.screenshot({ path: path.join(ARTIFACTS, "repo-glance.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a confirmation re-run as the second attempt of its cell, not as a cell of its own", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${base}/builds/${ids.b3}`);
    expect(await page.locator("table.matrix a.cell").count()).toBe(2);
    expect(await page.locator('table.matrix [data-attempt="2"]').innerText()).toBe("attempt 2 (confirmation): 1 passed · 0 failed · 0 skipped");
    expect(await page.locator("ul.cells > li").count()).toBe(2);
    expect(await page.locator("ul.cells [data-attempt-of]").innerText()).toBe("attempt 2: success");
    // The commit's message (escaped: a commit message is untrusted) and author.
    expect(await page.locator("[data-commit] strong").innerText()).toBe("Commit b3: <b>not bold</b>");
    expect(await page.locator("[data-commit] .muted").innerText()).toBe("by Ada Lovelace");
    expect(await page.locator("[data-commit] pre.message").innerText()).toBe("Why it changed.");
    await page.screenshot({ path: path.join(ARTIFACTS, "build-attempts.png"), fullPage: true });
    await page.close();
  });
  it("lists builds with one tile per cell: a confirmation re-run is an attempt of its cell's tile, not a tile with the same name", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    for (const url of [`${base}/`, `${base}/repos/${encodeURIComponent(REPO)}`]) {
      await page.goto(url);
      const tiles = page.locator(`table.builds tr[data-build="${ids.b3}"] a.tile`);
      expect(await tiles.count()).toBe(2);
      expect(await tiles.first().getAttribute("title")).toBe("Python 3.11 · Django 5.2: success, 2 attempts");
      expect(await tiles.first().getAttribute("data-attempts")).toBe("2");
      expect(await tiles.nth(1).getAttribute("title")).toBe("Python 3.13 · Django 5.2: success");
      expect(await page.locator(`table.builds tr[data-build="${ids.b2}"] a.tile[data-attempts]`).count()).toBe(0);
    }
    await page.goto(`${base}/`);
    await page.screenshot({ path: path.join(ARTIFACTS, "builds-list-attempts.png"), fullPage: true });
    await page.close();
  });

  it("shows the build's failure buckets, new failures first, each test once with its cells, file:line, since when and rate; and its notifications' delivery failures", async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    await page.goto(`${base}/builds/${ids.b5}`);
    expect(await page.locator("section[data-buckets] h3").allInnerTexts()).toEqual(["New failures (1)", "Already failing on main (1)", "Flaky (1)"]);
    const fresh = await page.locator(`section[data-buckets] li[data-test="${NEW}"]`).innerText();
    expect(fresh).toContain(`${NEW} at app/tests.py:40 in Python 3.11 · Django 5.2, Python 3.13 · Django 5.2`);
    // The message is escaped (a test's output is untrusted) and cut at its first line.
    expect(fresh).toContain(`AssertionError: ${NEW} <broke>`);
    expect(fresh).not.toContain("details");
    expect(await page.locator(`section[data-buckets] li[data-test="${OLD}"]`).innerText()).toMatch(new RegExp(`at app/tests.py:41 in .+ · failing since ${store.getBuild(ids.b4 as number)?.sha.slice(0, 7)} \\(.+ ago\\)`));
    expect(await page.locator(`section[data-buckets] li[data-test="${FLAKY}"]`).innerText()).toMatch(/at app\/tests.py:31 in Python 3\.11 · Django 5\.2 · failed 4 of its last 14 runs/);
    // New failures come before the rest on the page, and the cell links lead to the cell pages.
    const order = await page.locator("section[data-buckets] li[data-test]").evaluateAll((items) => items.map((li) => li.getAttribute("data-test")));
    expect(order).toEqual([NEW, OLD, FLAKY]);
    expect(await page.locator(`section[data-buckets] li[data-test="${NEW}"] a`).first().getAttribute("href")).toMatch(new RegExp(`^/builds/${ids.b5}/jobs/`));
    // Where the build's news went, through the dashboard's own handler: each failure says why; a chat URL's token is never shown.
    expect(await page.locator('table.deliveries tr[data-delivery="email"]').innerText()).toMatch(/email\s+team@example.com, gone@example.com\s+sent, some refused\s+1\s+refused: gone@example.com/);
    expect(await page.locator('table.deliveries tr[data-delivery="webhook"]').innerText()).toMatch(/webhook\s+hooks.example.com\s+failed\s+1\s+HTTP 500 from hooks.example.com/);
    expect(await page.locator('table.deliveries tr[data-delivery="mattermost"]').innerText()).toMatch(/mattermost\s+chat.example.com\s+retrying\s+1\s+chat.example.com: no answer within 10000 ms/);
    expect(await page.content()).not.toContain("secret-token");
    await page.screenshot({ path: path.join(ARTIFACTS, "build-buckets.png"), fullPage: true });
    // A build whose cells have no stored buckets (b4, recorded before any report) shows no section.
    await page.goto(`${base}/builds/${ids.b4}`);
    expect(await page.locator("section[data-buckets]").count()).toBe(0);
    await page.close();
  });
});
