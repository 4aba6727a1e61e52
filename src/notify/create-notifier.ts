import type { BuildListener, CellFinished } from "../builds/build-listener.js";
import { cellKey, cellName } from "../domain/cell.js";
import { silentLogger, type Logger } from "../domain/logger.js";
import type { FailureBucket } from "../history/classify-failures.js";
import type { Outbox } from "../outbox/outbox.js";
import { createOutboxRows } from "../outbox/outbox-rows.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { Store } from "../store/store.js";
import type { PrivateRepo } from "../bridge/private-repo.js";
import { orderFailures, type BuildSummary } from "./build-summary.js";
import { decideNotification, isJudged } from "./decide-notification.js";
import { createDefaultNotifyConfig, isEmptyNotifyConfig, type NotifyConfig } from "../builds/config/notify-config.js";
import { notifyKey, NOTIFY_KEY_PREFIX, type NotificationWrite } from "./notification-write.js";
import { renderChatText, renderEmail, renderWebhookBody } from "./render-notification.js";

export interface NotifierOptions {
  store: Store;
  /** The notifications' outbox (lane `notify:`). */
  outbox: Pick<Outbox, "enqueue">;
  /** The dashboard's base URL (PONYCI_PUBLIC_URL). */
  publicUrl: string;
  /** The bridge's repositories: their `notify:` is the operator's, and wins over nothing. */
  privateRepos?: readonly PrivateRepo[];
  /**
   * Hosts a repository's own `.github/ponyci.yml` may name in `webhook:`,
   * `slack:` and `mattermost:` (the operator's PONYCI_NOTIFY_HOSTS): a
   * repository never picks where this server sends requests.
   */
  allowedHosts?: readonly string[];
  /** The commit's author's address, for private repositories when the operator allows it (PONYCI_NOTIFY_AUTHORS). */
  authorOf?: (build: BuildRecord) => Promise<string | undefined>;
  log?: Logger;
  now?: () => number;
}

export interface Notifier extends BuildListener {
  finished(event: CellFinished): void;
  /**
   * Decides for builds that finished within `withinMs` (default a day) and
   * have no notification recorded: what a crash between a build's end and the
   * enqueue would have lost. Call at start.
   */
  sweep(withinMs?: number): Promise<void>;
}

/** Failures listed per message; the rest are counted. */
const MAX_FAILURES = 30;

/**
 * Tells people about failed and recovered builds (decide-notification.ts)
 * through the notifications' outbox: one write per channel and build, never
 * per cell. Only enqueues: sending (and its failures) never touches a build.
 * Exactly one decision per build: a build that already has a notification
 * write is skipped, so the sweep after a crash adds nothing twice.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const { store } = options;
  const log = options.log ?? silentLogger;
  const now = options.now ?? (() => store.clock.now());
  const rows = createOutboxRows(store);
  const privateRepos = new Map((options.privateRepos ?? []).map((repo) => [repo.name, repo]));
  const allowed = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
  /** One decision at a time per build, in the order asked (a later cell's end waits for an earlier one's). */
  const chains = new Map<number, Promise<void>>();

  const configOf = (build: BuildRecord): NotifyConfig | undefined => {
    const config = createDefaultNotifyConfig();
    const operator = build.source === "bridge" ? privateRepos.get(build.repo)?.notify : undefined;
    const repoFile = build.plan.notify as NotifyConfig | undefined;
    for (const source of [operator, repoFile]) {
      if (!source) continue;
      const fromRepo = source === repoFile;
      const urlOk = (url: string) => !fromRepo || allowed.has(new URL(url).hostname.toLowerCase());
      config.email.push(...source.email.filter((a) => !config.email.includes(a)));
      for (const key of ["webhook", "slack", "mattermost"] as const) {
        for (const url of source[key]) {
          if (urlOk(url)) config[key].push(url);
          else log.warn({ repo: build.repo, url }, `notify: ${key} URL of the repository's config ignored: its host is not in PONYCI_NOTIFY_HOSTS`);
        }
      }
    }
    // `on:` of the operator's entry wins; else the repository's.
    config.on = operator?.on ?? repoFile?.on ?? config.on;
    return isEmptyNotifyConfig(config) && !(options.authorOf && build.source === "bridge") ? undefined : config;
  };

  const previousOf = (build: BuildRecord): BuildRecord | undefined => {
    let before = build.id;
    for (let page = 0; page < 5; page++) {
      const older = store.listBuilds({ repo: build.repo, branch: build.branch, before, limit: 20 });
      const judged = older.find((candidate) => candidate.prNumber === undefined && isJudged(candidate));
      if (judged) return judged;
      if (older.length < 20) return undefined;
      before = older[older.length - 1]?.id ?? before;
    }
    return undefined;
  };

  const summarise = (build: BuildRecord, event: BuildSummary["event"]): BuildSummary => {
    const base = options.publicUrl.replace(/\/+$/, "");
    const url = `${base}/builds/${build.id}`;
    const jobs = store.listJobs(build.id);
    const confirmations = new Set(jobs.filter((job) => typeof job.external.confirms === "string").map((job) => job.id));
    // What test intelligence said, stored with each cell's verdict: a decision after a restart has it too.
    const stored = store.listCellFailures(build.id);
    const bucketOf = (jobId: string, testId: string): FailureBucket | undefined => stored.get(jobId)?.tests.find((t) => t.id === testId)?.bucket;
    const cells: BuildSummary["cells"] = [];
    const byKey = new Map<string, BuildSummary["cells"][number]>();
    let failures: BuildSummary["failures"] = [];
    for (const job of jobs) {
      const key = cellKey(job.cell);
      const existing = byKey.get(key);
      // A confirmation re-run is an attempt of its cell, not a cell of its own.
      if (existing && confirmations.has(job.id)) {
        existing.attempts += 1;
        continue;
      }
      const cell = { name: cellName(job.cell), cell: job.cell, conclusion: job.conclusion, counts: job.counts, url: `${url}/jobs/${job.id}`, attempts: Math.max(1, job.attempts) };
      byKey.set(key, cell);
      cells.push(cell);
      if (job.conclusion !== "failure" && job.conclusion !== "timed_out") continue;
      for (const test of store.listTestResults(job.id, { outcomes: ["failed", "error"] })) {
        failures.push({
          test: test.id,
          cell: cell.name,
          bucket: bucketOf(job.id, test.id),
          location: test.location ? `${test.location.path}:${test.location.line}` : undefined,
          message: test.message?.split("\n")[0]?.slice(0, 300),
          url: cell.url,
        });
      }
    }
    failures = orderFailures(failures);
    return {
      event,
      buildId: build.id,
      repo: build.repo,
      branch: build.branch ?? "",
      sha: build.sha,
      conclusion: build.status.conclusion ?? "error",
      url,
      cells,
      failures: failures.slice(0, MAX_FAILURES),
      moreFailures: Math.max(0, failures.length - MAX_FAILURES),
    };
  };

  const decide = (buildId: number): Promise<void> => {
    const next = (chains.get(buildId) ?? Promise.resolve()).then(() => decideNow(buildId));
    chains.set(buildId, next);
    return next.finally(() => {
      if (chains.get(buildId) === next) chains.delete(buildId);
    });
  };

  const decideNow = async (buildId: number): Promise<void> => {
    const build = store.getBuild(buildId);
    if (!build || build.status.state !== "finished") return;
    const config = configOf(build);
    if (!config) return;
    const event = decideNotification(build, previousOf(build));
    if (!event || !config.on.includes(event)) return;
    const author = options.authorOf && build.source === "bridge" ? await options.authorOf(build).catch(() => undefined) : undefined;
    // Checked after the await, right before the synchronous enqueues: one decision per build.
    if (rows.listByPrefix(`${NOTIFY_KEY_PREFIX}${build.id}:`).length > 0) return;
    const summary = summarise(build, event);
    const writes: [string, NotificationWrite][] = [];
    const to = [...config.email];
    if (author && !to.includes(author.toLowerCase())) to.push(author.toLowerCase());
    if (to.length > 0) {
      const mail = renderEmail(summary);
      const host = new URL(options.publicUrl).hostname || "ponyci.invalid";
      writes.push([notifyKey(build.id, "email"), { channel: "email", repo: build.repo, to, ...mail, messageId: `<build-${build.id}-${event}@${host}>` }]);
    }
    config.webhook.forEach((url, i) => writes.push([notifyKey(build.id, `webhook:${i}`), { channel: "webhook", repo: build.repo, url, body: renderWebhookBody(summary), deliveryId: `${build.id}-${event}-${i}` }]));
    for (const flavour of ["slack", "mattermost"] as const) {
      config[flavour].forEach((url, i) => writes.push([notifyKey(build.id, `${flavour}:${i}`), { channel: flavour, repo: build.repo, url, text: renderChatText(summary, flavour) }]));
    }
    for (const [key, payload] of writes) options.outbox.enqueue({ key, kind: payload.channel, payload });
    if (writes.length > 0) log.info({ build: build.id, event, channels: writes.map(([key]) => key) }, "notify: build news queued");
  };

  return {
    finished(event: CellFinished) {
      void decide(event.build.id).catch((error: unknown) => log.error({ build: event.build.id, err: error }, "notify: could not decide about a build"));
    },
    cancelled(build) {
      void decide(build.id).catch((error: unknown) => log.error({ build: build.id, err: error }, "notify: could not decide about a build"));
    },
    async sweep(withinMs = 24 * 3_600_000) {
      const since = now() - withinMs;
      const recent = store.listBuilds({ limit: 500 }).filter((build) => build.createdAt >= since && build.status.state === "finished");
      // Oldest first: news in the order it happened.
      for (const build of recent.reverse()) await decide(build.id);
    },
  };
}
