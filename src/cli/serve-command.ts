import type { Logger as PinoLogger } from "pino";
import type { Settings } from "../settings/load-settings.js";
import { startServer } from "../server/start-server.js";
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
    stop = () => running.stop({ graceMs: settings.shutdownGraceMs });
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
