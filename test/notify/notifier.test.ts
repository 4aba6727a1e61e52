import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { createNotifier } from "../../src/notify/create-notifier.js";
import { decideNotification } from "../../src/notify/decide-notification.js";
import type { NotificationWrite } from "../../src/notify/notification-write.js";
import type { OutboxWrite } from "../../src/outbox/outbox.js";
import { openStore } from "../../src/store/open-store.js";
import type { BuildRecord, NewBuild } from "../../src/store/build-rows.js";
import type { Store } from "../../src/store/store.js";
import type { Conclusion } from "../../src/domain/events.js";
import type { JobRecord } from "../../src/store/job-rows.js";
import { makeTempDir } from "../store/temp-dir.js";
import type { CellFailures } from "../../src/store/cell-failure-rows.js";
import { classifyFailures } from "../../src/history/classify-failures.js";
import { toCellFailures } from "../../src/history/to-cell-failures.js";

const CELL = { python: "3.11", django: "5.2" };
const counts = (failed: number) => ({ passed: 3, failed, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 3 + failed });

describe("the notifier", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let queued: OutboxWrite[];
  /** An outbox that records, as rows of the real table (the notifier checks them to decide once). */
  const outbox = () => ({
    enqueue: (write: OutboxWrite) => {
      queued.push(write);
      return Number(store.sqlite.prepare("INSERT INTO outbox (key, kind, priority, coalesce, payload_json, state, next_attempt_at, created_at) VALUES (?, ?, 1, 0, ?, 'pending', 0, 0)").run(write.key, write.kind, JSON.stringify(write.payload)).lastInsertRowid);
    },
  });
  beforeEach(() => {
    temp = makeTempDir("ponyci-notifier-");
    store = openStore({ dataDir: temp.dir });
    queued = [];
  });
  afterEach(() => {
    store.close();
    temp.remove();
  });

  /** A finished build of one cell (plus a confirmation attempt when `confirmed`). */
  const finish = (conclusion: Conclusion, options: Partial<NewBuild> & { plan?: Record<string, unknown>; failing?: { id: string; path: string; line: number }[]; confirmed?: boolean; failures?: CellFailures } = {}): { build: BuildRecord; job: JobRecord } => {
    const { build, jobs } = store.createBuild({ repo: "proj", source: "bridge", visibility: "private", sha: `${store.listBuilds().length + 1}`.padEnd(40, "a"), branch: "main", event: "post-receive", planState: "pending", ...options });
    const planned = store.recordBuildPlan(build.id, { state: "planned", details: options.plan ?? {}, jobs: [{ cell: CELL }] });
    const job = planned?.jobs[0] ?? jobs[0];
    if (!job) throw new Error("no job");
    store.recordJobStarted(job.id);
    store.addTestResults(job.id, (options.failing ?? []).map((f) => ({ id: f.id, outcome: "failed", durationMs: 1, message: "AssertionError: 1 != 2\nmore", location: { path: f.path, line: f.line } })));
    if (options.confirmed) {
      const [confirm] = store.createJobs(build.id, [{ id: `${job.id}-c1`, cell: CELL, external: { confirms: job.id } }]);
      if (confirm) {
        store.recordJobStarted(confirm.id);
        store.recordJobFinished({ jobId: confirm.id, conclusion, counts: counts(1) });
      }
    }
    const done = store.recordJobFinished({ jobId: job.id, conclusion, counts: counts(conclusion === "failure" ? (options.failing?.length ?? 1) : 0), failures: options.failures });
    return { build: store.getBuild(build.id) as BuildRecord, job: done };
  };
  const repos = [{ name: "proj", url: "/srv/proj.git", secret: "x".repeat(16), visibility: "private" as const, after: [], notify: { email: ["team@example.com"], on: ["failure" as const, "recovery" as const], webhook: [], slack: [], mattermost: [] } }];

  it("decides purely: failure, recovery after red, nothing for green after green, PRs, cancels or infrastructure errors", () => {
    const red = finish("failure").build;
    const green = finish("success").build;
    expect(decideNotification(red, undefined)).toBe("failure");
    expect(decideNotification(green, red)).toBe("recovery");
    expect(decideNotification(green, green)).toBeUndefined();
    expect(decideNotification(green, undefined)).toBeUndefined();
    expect(decideNotification(finish("error").build, undefined)).toBeUndefined();
    expect(decideNotification(finish("cancelled").build, red)).toBeUndefined();
    expect(decideNotification({ ...red, prNumber: 4 }, undefined)).toBeUndefined();
  });

  it("one email per failed build with new failures first, even decided after a restart; the sweep adds nothing twice", async () => {
    const report = classifyFailures({
      failures: [
        { id: "app.tests.Old.test_old", outcome: "failed", durationMs: 1 },
        { id: "app.tests.New.test_new", outcome: "failed", durationMs: 1 },
      ],
      passed: [],
      base: { sha: "b".repeat(40), label: "main", outcomes: new Map([["app.tests.Old.test_old", ["failed"]], ["app.tests.New.test_new", ["passed"]]]) },
      sameCommit: new Map(),
      recent: new Map(),
      baseBranch: new Map(),
      policy: { quarantine: [], alreadyFailing: "neutral" },
      now: 0,
    });
    // The buckets are stored with the cell's verdict; no notifier heard the cell end (the process died): the sweep at start decides.
    const { build, job } = finish("failure", {
      failing: [
        { id: "app.tests.Old.test_old", path: "app/tests.py", line: 10 },
        { id: "app.tests.New.test_new", path: "app/tests.py", line: 20 },
      ],
      confirmed: true,
      failures: toCellFailures(report),
    });
    const notifier = createNotifier({ store, outbox: outbox(), publicUrl: "https://ci.example.com/", privateRepos: repos });
    await notifier.sweep();
    await notifier.sweep();
    expect(queued.map((w) => w.key)).toEqual([`notify:${build.id}:email`]);
    const mail = queued[0]?.payload as Extract<NotificationWrite, { channel: "email" }>;
    expect(mail.to).toEqual(["team@example.com"]);
    expect(mail.text.indexOf("app.tests.New.test_new  [new failure")).toBeLessThan(mail.text.indexOf("app.tests.Old.test_old  [already failing"));
    expect(mail.text).toContain("at app/tests.py:20");
    expect(mail.text).toContain("    AssertionError: 1 != 2\n");
    expect(mail.text).toContain(`https://ci.example.com/builds/${build.id}/jobs/${job.id}`);
    // The confirmation re-run is an attempt of the cell, not a second cell.
    expect(mail.text).toMatch(/✗ Python 3\.11 · Django 5\.2 {2}failure {2}3 passed, 2 failed {2}\(2 attempts\)/);
    expect(mail.text.match(/Python 3\.11 · Django 5\.2 {2}/g)).toHaveLength(1);
  });

  it("the sweep at start decides for builds whose news a crash lost", async () => {
    finish("failure");
    const { build } = finish("success");
    expect(queued).toEqual([]);
    await createNotifier({ store, outbox: outbox(), publicUrl: "http://ci", privateRepos: repos }).sweep();
    expect(queued.map((w) => [w.key, (w.payload as { subject: string }).subject])).toEqual([
      [`notify:${build.id - 1}:email`, expect.stringMatching(/failed/)],
      [`notify:${build.id}:email`, expect.stringMatching(/green again/)],
    ]);
  });

  it("a repository's own config names only hosts the operator allows; `on:` filters events; no one configured: nothing", async () => {
    const notify = { email: ["dev@example.com"], on: ["recovery"], webhook: ["http://127.0.0.1:9/steal", "https://hooks.example.com/x"], slack: ["https://hooks.slack.com/services/a"], mattermost: [] };
    finish("failure", { source: "github", visibility: "public", repo: "o/r", plan: { notify } });
    const { build } = finish("success", { source: "github", visibility: "public", repo: "o/r", plan: { notify } });
    finish("failure", { repo: "unconfigured" });
    await createNotifier({ store, outbox: outbox(), publicUrl: "http://ci", allowedHosts: ["hooks.slack.com", "hooks.example.com"] }).sweep();
    expect(queued.map((w) => [w.key, (w.payload as NotificationWrite).channel])).toEqual([
      [`notify:${build.id}:email`, "email"],
      [`notify:${build.id}:webhook:0`, "webhook"],
      [`notify:${build.id}:slack:0`, "slack"],
    ]);
    expect((queued[1]?.payload as { url: string }).url).toBe("https://hooks.example.com/x");
    expect(JSON.parse((queued[1]?.payload as { body: string }).body)).toMatchObject({ type: "ponyci.build.recovery", version: 1, build: { buildId: build.id, repo: "o/r", conclusion: "success" } });
  });
});
