import type { Logger as PinoLogger } from "pino";
import type { Settings } from "../settings/load-settings.js";
import { startServer, type RunningServer } from "../server/start-server.js";
import { startSetupServer } from "../server/start-setup-server.js";

/**
 * `ponyci serve`: start the GitHub App server and run until SIGTERM/SIGINT,
 * then shut down gracefully: no new work, running cells get a grace period
 * (PONYCI_SHUTDOWN_GRACE seconds, default 30) and what is left goes back to
 * the queue for the next start. Without APP_ID it serves Probot's set-up
 * page instead, to register the app from app.yml (see start-setup-server.ts).
 * `log` is pino: the same logger goes to Probot, so the server has one format.
 */
export async function serveCommand(deps: { settings: Settings; log: PinoLogger }): Promise<number> {
  const { settings, log } = deps;
  // A server keeps serving: a stray rejection is a bug to log, not a reason to drop every build in flight.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
  let stop: () => Promise<void>;
  let stopping = "";
  if (settings.github) {
    const running = await startServer({ settings: { ...settings, github: settings.github }, log });
    log.info(`Pony CI listening on http://${settings.host}:${running.port} (webhooks at /api/github/webhooks)`);
    const stopReloading = reloadOnHangup(running, log);
    stop = () => {
      stopReloading();
      return running.stop({ graceMs: settings.shutdownGraceMs });
    };
    stopping = ` (running cells get ${settings.shutdownGraceMs / 1000} s)`;
  } else {
    const setup = await startSetupServer({ settings, log });
    log.info(`APP_ID is not set: register the GitHub App at http://${settings.host}:${setup.port}/ (manifest ${setup.manifestPath}), then restart ponyci serve`);
    stop = () => setup.stop();
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info(`${signal}: shutting down${stopping}`);
      stop().then(resolve, (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  return 0;
}

/**
 * SIGHUP (`systemctl reload ponyci`, the daemon convention): read the users
 * file and the private repositories file again, without a restart (which
 * would put running cells back in the queue). A bad file is logged and the
 * old lists kept. Returns a function that removes the handler.
 */
export function reloadOnHangup(running: Pick<RunningServer, "reload">, log: Pick<PinoLogger, "info" | "error">): () => void {
  const onHangup = (): void => {
    try {
      const counts = running.reload();
      log.info(counts, `SIGHUP: reloaded ${counts.users} users and tokens, ${counts.privateRepos} private repositories`);
    } catch (error) {
      log.error({ err: error }, "SIGHUP: a file is invalid; nothing was changed (fix it and send SIGHUP again)");
    }
  };
  process.on("SIGHUP", onHangup);
  return () => void process.off("SIGHUP", onHangup);
}
