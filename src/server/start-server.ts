import { Probot, ProbotOctokit, Server } from "probot";
import type { Logger as PinoLogger } from "pino";
import type { Settings } from "../settings/load-settings.js";
import { routeWebhooks } from "../github/route-webhooks.js";
import { findFreePort } from "./find-free-port.js";
import { guardRequests } from "./guard-requests.js";
import { createPonyCi, type PonyCi, type PonyCiOptions } from "./create-ponyci.js";
import { createCheckRunSender } from "../github/create-check-run-sender.js";
import { createCheckRunReporter } from "../github/create-check-run-reporter.js";
import { createGitHubFileReader } from "../github/create-github-file-reader.js";
import { createForkApprovals } from "../github/create-fork-approvals.js";
import { requestCloneToken } from "../github/request-clone-token.js";
import type { OctokitFor } from "../github/installation-octokit.js";
import type { BuildListener } from "../builds/build-listener.js";
import { loadPrivateRepos } from "../bridge/load-private-repos.js";
import { createBridgeHandler } from "../bridge/create-bridge-handler.js";
import { createDownstreamTrigger } from "../builds/create-downstream-trigger.js";
import { createDashboard } from "../web/create-dashboard.js";
import { createOpsHandler } from "../web/create-ops-handler.js";
import { createMetrics } from "../metrics/create-metrics.js";
import { createMetricsListener } from "../metrics/create-metrics-listener.js";
import { meterGitHubSend } from "../metrics/meter-github-send.js";
import type { Metrics } from "../metrics/metrics.js";

export interface RunningServer {
  ponyci: PonyCi;
  metrics: Metrics;
  server: Server;
  /** The port it listens on (useful with PORT=0). */
  port: number;
  stop(options?: { graceMs?: number }): Promise<void>;
}

export interface StartServerOptions extends Pick<PonyCiOptions, "queueOptions" | "outboxBackoff" | "runner" | "progressIntervalMs"> {
  settings: Settings & { github: NonNullable<Settings["github"]> };
  /** pino: Probot logs through it too, so the server has one log format (`createServerLogger`). */
  log: PinoLogger;
  /** More listeners (e.g. downstream triggers), besides the check-run reporter. */
  extraListeners?: PonyCiOptions["listeners"];
}

/**
 * `ponyci serve`: the GitHub App server. Probot verifies webhook signatures
 * and routes events; check-run writes go through the outbox; the embedded
 * queue runs cells on this host.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { settings, log } = options;
  // Private repositories of the post-receive bridge (and the projects built after their apps).
  const privateRepos = settings.privateReposFile ? loadPrivateRepos(settings.privateReposFile) : [];
  // Dashboards: a build listener (live pages) and a server handler.
  const dashboard = createDashboard({ settings, log });
  const metrics = createMetrics();
  let probot: Probot | undefined;
  const octokitFor: OctokitFor = async (installationId) => {
    if (!probot) throw new Error("the GitHub App is not loaded yet");
    return probot.auth(installationId);
  };
  const ponyci = createPonyCi({
    settings,
    log,
    queueOptions: options.queueOptions,
    outboxBackoff: options.outboxBackoff,
    runner: options.runner,
    progressIntervalMs: options.progressIntervalMs,
    metrics,
    // With Redis, this host's own runner checks out the bridge's repositories (local paths among them), nothing else local.
    localRepoUrls: privateRepos.map((repo) => repo.url),
    send: meterGitHubSend((write, context) => createCheckRunSender({ octokitFor, store: ponyci.store, log })(write, context), metrics),
    readGitHubFiles: createGitHubFileReader(octokitFor),
    tokenFor: (_build, request) => requestCloneToken(octokitFor, request),
    listeners: (parts) => {
      const listeners: BuildListener[] = [createCheckRunReporter({ outbox: parts.outbox, publicUrl: settings.publicUrl })];
      if (privateRepos.some((repo) => repo.after.length > 0)) {
        listeners.push(createDownstreamTrigger({ projects: privateRepos, builds: { submit: (request) => parts.builds().submit(request) }, store: parts.store, checkout: parts.runner.checkout, log }));
      }
      return [...listeners, dashboard.hub, createMetricsListener(metrics), ...(options.extraListeners?.(parts) ?? [])];
    },
  });

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
      Octokit: ProbotOctokit.defaults({ retry: { enabled: false } }),
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
  if (privateRepos.length > 0) {
    const bridge = createBridgeHandler({ repos: privateRepos, store: ponyci.store, builds: ponyci.builds, log });
    server.addHandler(async (req, res) => {
      const handled = await bridge(req, res);
      if (handled) metrics.countBridgeDelivery(res.statusCode < 300 ? "accepted" : res.statusCode < 500 ? "rejected" : "error");
      return handled;
    });
  }
  await ponyci.start();
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
    stop(stopOptions) {
      stopping ??= (async () => {
        await server.stop();
        await ponyci.stop(stopOptions);
      })();
      return stopping;
    },
  };
}
