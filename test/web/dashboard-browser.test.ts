import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { fakeGitHub, startTestServer, testServerSettings, waitFor } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { createSteeredRunner, type SteeredCell } from "../support/steered-runner.js";
import type { RunningServer } from "../../src/server/start-server.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import { PASSWORD, writeUsersFile } from "./dashboard-fixtures.js";

/** Screenshots for people (and CI artifacts): test-artifacts/dashboards/. */
const ARTIFACTS = path.resolve("test-artifacts", "dashboards");

/** Debian's Chromium (runner/host/ensure-chromium.sh installs it). */
function chromiumPath(): string {
  try {
    return execFileSync("bash", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("Chromium is not installed: run `bash runner/host/ensure-chromium.sh` (npm test does it through runner/host/setup.sh)");
  }
}

/**
 * The dashboards in a real browser against a running server, fed by the
 * real job processor (with a steered runner, test/support/steered-runner.ts, standing in for Docker).
 */
describe("dashboards in Chromium", () => {
  let server: RunningServer;
  let base: string;
  let browser: Browser;
  const scripted = createSteeredRunner();
  let publicBuild: BuildRecord;
  let privateBuild: BuildRecord;
  let publicCell: SteeredCell;
  let privateCell: SteeredCell;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fakeGitHub();
    const users = writeUsersFile();
    server = await startTestServer({ runner: scripted.runner, settings: testServerSettings({ PONYCI_CONCURRENCY: "4", PONYCI_WEB_USERS: users.file, PONYCI_SESSION_SECRET: "b".repeat(40) }) });
    base = `http://127.0.0.1:${server.port}`;
    const app = await createFixtureRepo("django-pass");
    const project = await createFixtureRepo("django-pass");
    const submit = async (name: string, dir: string, sha: string, visibility: "public" | "private") => {
      const submitted = server.ponyci.builds.submit({ source: "bridge", repo: { name, cloneUrl: dir, visibility }, sha, branch: "main", event: "post-receive" });
      await submitted?.planned;
      return submitted?.build as BuildRecord;
    };
    publicBuild = await submit("pony-app", app.dir, app.sha, "public");
    // The private cell fails a test never seen failing: without this, Pony CI would first
    // confirm it by a re-run (issue 15), and this test watches the first verdict reach the page.
    const projectSha = await project.commit("no confirmation re-runs", { ".github/ponyci.yml": "confirm_failures: false\n" });
    privateBuild = await submit("intranet-project", project.dir, projectSha, "private");
    const cellOf = async (build: BuildRecord) => {
      const [job] = server.ponyci.store.listJobs(build.id);
      return waitFor(() => scripted.cell(job?.id ?? ""), 60_000, `a running cell of build #${build.id}`);
    };
    publicCell = await cellOf(publicBuild);
    privateCell = await cellOf(privateBuild);
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    for (const cell of scripted.running()) cell.finish();
    await server?.stop({ graceMs: 500 });
  });

  it("shows a stranger the public build, its live log and its badge; the private build, cell page and stream are 404", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    publicCell.print("collecting tests…");
    publicCell.report({ id: "polls.tests.QuestionTests.test_ok", outcome: "passed", durationMs: 12 });
    await page.goto(`${base}/`);
    await page.getByRole("link", { name: "pony-app" }).first().waitFor();
    expect(await page.content()).not.toContain("intranet-project");

    const publicJob = server.ponyci.store.getJob(publicCell.jobId);
    await page.goto(`${base}/builds/${publicBuild.id}/jobs/${publicCell.jobId}`);
    await page.locator("#log").getByText("collecting tests…").waitFor();
    // A line printed now, with the page open, appears in it.
    publicCell.print("polls.tests.QuestionTests.test_ok ... ok");
    await page.locator("#log").getByText("polls.tests.QuestionTests.test_ok ... ok").waitFor();
    expect(await page.locator("#log").innerText()).toMatch(/^collecting tests…\npolls\.tests\.QuestionTests\.test_ok \.\.\. ok\n?$/);
    await page.screenshot({ path: path.join(ARTIFACTS, "cell-running.png"), fullPage: true });
    expect(publicJob?.buildId).toBe(publicBuild.id);

    const badge = await page.request.get(`${base}/badge/pony-app.svg?branch=main`);
    expect(badge.status()).toBe(200);
    expect(badge.headers()["cache-control"]).toMatch(/max-age/);
    expect(await badge.text()).toContain("running");

    const [privateJob] = server.ponyci.store.listJobs(privateBuild.id);
    for (const url of [`/builds/${privateBuild.id}`, `/builds/${privateBuild.id}/jobs/${privateJob?.id}`, `/builds/${privateBuild.id}/jobs/${privateJob?.id}/events`, "/badge/intranet-project.svg"]) {
      const response = await page.request.get(base + url);
      expect({ url, status: response.status() }).toEqual({ url, status: 404 });
      expect(await response.text()).not.toContain("intranet");
    }
    await context.close();
  });

  it("after sign-in shows the private build and its live log, updates tiles live, and the re-run button queues a new cell", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel("Name").fill("alice");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("link", { name: "intranet-project" }).first().waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "builds-list.png"), fullPage: true });

    privateCell.print("Creating test database for alias 'default'…");
    await page.goto(`${base}/builds/${privateBuild.id}/jobs/${privateCell.jobId}`);
    await page.locator("#log").getByText("Creating test database").waitFor();
    privateCell.print("Ran 3 tests in 0.012s");
    await page.locator("#log").getByText("Ran 3 tests in 0.012s").waitFor();

    // The build page's tile turns from running to failure without a reload.
    await page.goto(`${base}/builds/${privateBuild.id}`);
    const tile = page.locator(`a.cell[data-job="${privateCell.jobId}"]`);
    await tile.and(page.locator(".t-running")).waitFor();
    privateCell.report({ id: "intranet.tests.test_login", outcome: "failed", durationMs: 40, message: "AssertionError: 302 != 200", location: { path: "intranet/tests.py", line: 17 } });
    privateCell.finish();
    await tile.and(page.locator(".t-failure")).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "build-matrix.png"), fullPage: true });

    await page.goto(`${base}/builds/${privateBuild.id}/jobs/${privateCell.jobId}`);
    await page.getByText("intranet/tests.py:17").waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, "cell-finished.png"), fullPage: true });
    const buildsBefore = server.ponyci.store.listBuilds({ repo: "intranet-project" }).length;
    await page.getByRole("button", { name: "Re-run failed tests" }).click();
    await page.waitForURL(/\/builds\/\d+$/);
    const rerun = await waitFor(() => {
      const builds = server.ponyci.store.listBuilds({ repo: "intranet-project" });
      return builds.length > buildsBefore ? builds[0] : undefined;
    }, 30_000, "the re-run build");
    expect(page.url()).toBe(`${base}/builds/${rerun.id}`);
    expect(rerun.event).toBe("rerun-failed");
    const [queued] = await waitFor(() => {
      const jobs = server.ponyci.store.listJobs(rerun.id);
      return jobs.length > 0 ? jobs : undefined;
    }, 30_000, "the re-run cell");
    expect(queued?.external.onlyTests).toEqual(["intranet.tests.test_login"]);
    await context.close();
  });
});
