import { requestOf } from "../domain/build.js";
import { Probot, ProbotOctokit, Server } from "probot";
import type { Logger as PinoLogger } from "pino";
import type { Settings } from "../settings/load-settings.js";
import { routeWebhooks } from "../github/route-webhooks.js";
import { findFreePort } from "./find-free-port.js";
import { guardRequests } from "./guard-requests.js";
import { createPonyCi, type PonyCi, type PonyCiOptions } from "./create-ponyci.js";
import { createCheckRunSender } from "../github/create-check-run-sender.js";
import { createCheckRunReporter } from "../github/create-check-run-reporter.js";
import { createWriteLimiter } from "../github/create-write-limiter.js";
import { createAggregateReporter } from "../github/create-aggregate-reporter.js";
import { createGitHubFileReader } from "../github/create-github-file-reader.js";
import { createForkApprovals } from "../github/create-fork-approvals.js";
import { requestCloneToken } from "../github/request-clone-token.js";
import type { OctokitFor } from "../github/installation-octokit.js";
import type { BuildListener } from "../builds/build-listener.js";
import { loadPrivateRepos } from "../bridge/load-private-repos.js";
import type { PrivateRepo } from "../bridge/private-repo.js";
import { createBridgeHandler } from "../bridge/create-bridge-handler.js";
import { createDownstreamTrigger } from "../bridge/create-downstream-trigger.js";
import { createDashboard } from "../web/create-dashboard.js";
import { createOpsHandler } from "../web/create-ops-handler.js";
import { createMetrics } from "../metrics/create-metrics.js";
import { createMetricsListener } from "../metrics/create-metrics-listener.js";
import { meterGitHubSend } from "../metrics/meter-github-send.js";
import type { Metrics } from "../metrics/metrics.js";
import { createNotifier, type Notifier } from "../notify/create-notifier.js";
import { createNotificationSender } from "../notify/create-notification-sender.js";
import type { SendWrite } from "../outbox/outbox.js";
import { createForgeStatusSender } from "../forge/create-forge-status-sender.js";
import { createForgeStatusReporter } from "../forge/create-forge-status-reporter.js";
import type { Clock } from "../domain/clock.js";
import { createScheduler, type Scheduler } from "../schedules/create-scheduler.js";
import { createScheduleRows } from "../schedules/schedule-rows.js";

export interface RunningServer {
  ponyci: PonyCi;
  metrics: Metrics;
  server: Server;
  /** The port it listens on (useful with PORT=0). */
  port: number;
  /** Scheduled builds (`schedule:`): it ticks every minute by itself; `tick()` for tests. */
  scheduler: Scheduler;
  /**
   * SIGHUP: read the users file and the private repositories file again.
   * Nothing else changes: no job is re-queued, no connection dropped. A bad
   * file is reported (thrown) and the old list kept.
   */
  reload(): { users: number; privateRepos: number };
  stop(options?: { graceMs?: number }): Promise<void>;
}

export interface StartServerOptions extends Pick<PonyCiOptions, "queueOptions" | "outboxBackoff" | "runner" | "progressIntervalMs"> {
  settings: Settings & { github: NonNullable<Settings["github"]> };
  /** pino: Probot logs through it too, so the server has one log format (`createServerLogger`). */
  log: PinoLogger;
  /** More listeners (e.g. downstream triggers), besides the check-run reporter. */
  extraListeners?: PonyCiOptions["listeners"];
  /** The scheduler's time (tests move it to a cron tick); default the system clock. */
  scheduleClock?: Clock;
}

/**
 * `ponyci serve`: the GitHub App server. Probot verifies webhook signatures
 * and routes events; check-run writes go through the outbox; the embedded
 * queue runs cells on this host.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { settings, log } = options;
  // Private repositories of the post-receive bridge (and the projects built after their apps).
  // Its contents are replaced in place on reload(): the bridge and the downstream trigger read it at each use.
  const privateRepos: PrivateRepo[] = settings.privateReposFile ? loadPrivateRepos(settings.privateReposFile) : [];
  // Dashboards: a build listener (live pages) and a server handler.
  const dashboard = createDashboard({ settings, log });
  const metrics = createMetrics();
  let probot: Probot | undefined;
  const octokitFor: OctokitFor = async (installationId) => {
    if (!probot) throw new Error("the GitHub App is not loaded yet");
    return probot.auth(installationId);
  };
  let notifier: Notifier | undefined;
  let notifySender: SendWrite | undefined;
  const ponyci = createPonyCi({
    settings,
    log,
    queueOptions: options.queueOptions,
    outboxBackoff: options.outboxBackoff,
    runner: options.runner,
    progressIntervalMs: options.progressIntervalMs,
    metrics,
    // Made at the first send, once the store is open: its rate window is read from the store's outbox (a restart keeps it).
    notifySend: (write, context) => (notifySender ??= createNotificationSender({ ...settings.notify, log, store: ponyci.store }))(write, context),
    forgeSend: createForgeStatusSender({ repos: privateRepos }),
    // With Redis, this host's own runner checks out the bridge's repositories (local paths among them), nothing else local.
    localRepoUrls: privateRepos.map((repo) => repo.url),
    send: meterGitHubSend((write, context) => createCheckRunSender({ octokitFor, store: ponyci.store, log })(write, context), metrics),
    readGitHubFiles: createGitHubFileReader(octokitFor),
    tokenFor: (_build, request) => requestCloneToken(octokitFor, request),
    listeners: (parts) => {
      const listeners: BuildListener[] = [
        // With Redis, runners elsewhere decide what starts when: every cell shows queued at once.
        createCheckRunReporter({ outbox: parts.outbox, publicUrl: settings.publicUrl, cellSlots: settings.queue.kind === "embedded" ? settings.concurrency : undefined }),
        createAggregateReporter({ outbox: parts.outbox, store: parts.store, publicUrl: settings.publicUrl }),
      ];
      // Wired whenever there is a private repositories file: SIGHUP may add `after:` entries.
      if (settings.privateReposFile) {
        listeners.push(createDownstreamTrigger({ projects: privateRepos, builds: { submit: (request) => parts.builds().submit(request) }, store: parts.store, checkout: parts.runner.checkout, log }));
      }
      notifier = createNotifier({
        store: parts.store,
        outbox: parts.notifications,
        publicUrl: settings.publicUrl,
        privateRepos,
        allowedHosts: settings.notify.allowedHosts,
        authorOf: settings.notify.authors ? async (build) => (await parts.runner.checkout.readCommit({ url: requestOf(build).repo.cloneUrl, sha: build.sha })).authorEmail : undefined,
        log,
      });
      listeners.push(notifier);
      if (settings.privateReposFile) listeners.push(createForgeStatusReporter({ outbox: parts.forges, store: parts.store, repos: privateRepos, publicUrl: settings.publicUrl }));
      return [...listeners, dashboard.hub, createMetricsListener(metrics), ...(options.extraListeners?.(parts) ?? [])];
    },
  });

  const writeLimiter = createWriteLimiter();
  const server = new Server({
    log,
    host: settings.host,
    port: settings.port === 0 ? await findFreePort(settings.host) : settings.port,
    webhookProxy: settings.github.webhookProxyUrl,
    Probot: Probot.defaults({
      appId: settings.github.appId,
      privateKey: settings.github.privateKey,
      secret: settings.github.webhookSecret,
      log,
      baseUrl: settings.github.apiUrl,
      // The outbox owns retries (durably, with backoff); Octokit's in-memory retry would double them.
      // Writes are paced to GitHub's per-minute limit rather than Octokit's one a second (createWriteLimiter).
      Octokit: ProbotOctokit.defaults((octokitOptions: Record<string, unknown>) => ({
        ...octokitOptions,
        retry: { enabled: false },
        throttle: { ...(octokitOptions.throttle as object | undefined), write: writeLimiter },
      })),
    }),
  });
  await server.load((app) => {
    probot = app;
    routeWebhooks({
      builds: ponyci.builds,
      store: ponyci.store,
      appId: settings.github.appId,
      log,
      forkPrApproval: settings.forkPrApproval,
      approvals: createForkApprovals({ outbox: ponyci.outbox, publicUrl: settings.publicUrl }),
    })(app);
    app.onAny((context) => metrics.countWebhookDelivery(context.name, "received"));
    app.onError((error) => metrics.countWebhookDelivery(error.event?.name ?? "unknown", "failed"));
  });
  const scaleOut = ponyci.scaleOut;
  metrics.setSources({ queueCounts: () => ponyci.queue.counts(), outboxBacklog: () => ponyci.outbox.backlog(), scaleOut: scaleOut ? () => scaleOut.metrics() : undefined });
  server.addHandler(
    createOpsHandler({
      metrics,
      checks: {
        store: async () => ponyci.store.read("check the store", () => ponyci.store.sqlite.prepare("SELECT 1").get()),
        docker: () => ponyci.runner.docker.ping(),
        queue: () => ponyci.queue.counts(),
      },
    }),
  );
  server.addHandler(dashboard.handler({ store: ponyci.store, builds: ponyci.builds }));
  if (settings.privateReposFile) {
    const bridge = createBridgeHandler({ repos: privateRepos, store: ponyci.store, builds: ponyci.builds, log, publicUrl: settings.publicUrl });
    server.addHandler(async (req, res) => {
      const handled = await bridge(req, res);
      if (handled) metrics.countBridgeDelivery(res.statusCode < 300 ? "accepted" : res.statusCode < 500 ? "rejected" : "error");
      return handled;
    });
  }
  try {
    await ponyci.start();
  } catch (error) {
    await ponyci.stop({ graceMs: 0 }).catch(() => undefined);
    throw error;
  }
  // Builds that ended just before a crash, their news not yet queued.
  notifier?.sweep().catch((error: unknown) => log.error({ err: error }, "notify: could not look for builds left undecided"));
  const scheduler = createScheduler({
    rows: createScheduleRows(ponyci.store, (id) => ponyci.store.getBuild(id)),
    privateRepos,
    builds: ponyci.builds,
    clock: options.scheduleClock,
    log,
    resolveHead: async ({ source, repo }, branch) => {
      if (source !== "github") return ponyci.runner.checkout.resolveRef({ url: repo.cloneUrl }, `refs/heads/${branch}`);
      const [owner = "", name = ""] = repo.name.split("/");
      if (repo.installationId === undefined) throw new Error(`no installation of the GitHub App for ${repo.name}`);
      const { data } = await (await octokitFor(repo.installationId)).rest.repos.getBranch({ owner, repo: name, branch });
      return data.commit.sha;
    },
  });
  const stopScheduler = scheduler.start();
  const http = await server.start();
  guardRequests(http, { webhookPath: "/api/github/webhooks" });
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : settings.port;
  let stopping: Promise<void> | undefined;
  return {
    ponyci,
    metrics,
    server,
    port,
    scheduler,
    reload() {
      const repos = settings.privateReposFile ? loadPrivateRepos(settings.privateReposFile) : [];
      // Both files are read before either list changes: a bad one changes nothing.
      const users = dashboard.reloadUsers();
      privateRepos.splice(0, privateRepos.length, ...repos);
      return { users, privateRepos: privateRepos.length };
    },
    stop(stopOptions) {
      stopping ??= (async () => {
        stopScheduler();
        await server.stop();
        await ponyci.stop(stopOptions);
      })();
      return stopping;
    },
  };
}
