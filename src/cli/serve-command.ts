import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../log/logger.js";
import { startServer } from "../server/start-server.js";

/**
 * `ponyci serve`: start the GitHub App server and run until SIGTERM/SIGINT,
 * then shut down gracefully: no new work, running cells get a grace period
 * (PONYCI_SHUTDOWN_GRACE seconds, default 30) and what is left goes back to
 * the queue for the next start.
 */
export async function serveCommand(deps: { settings: Settings; log: Logger }): Promise<number> {
  const { settings, log } = deps;
  if (!settings.github) throw new Error("serve needs the GitHub App settings (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET)");
  // A server keeps serving: a stray rejection is a bug to log, not a reason to drop every build in flight.
  process.on("unhandledRejection", (reason) => log.error({ err: reason instanceof Error ? reason.stack : String(reason) }, "unhandled rejection"));
  const running = await startServer({ settings: { ...settings, github: settings.github }, log });
  log.info(`Pony CI listening on http://${settings.host}:${running.port} (webhooks at /api/github/webhooks)`);
  const graceMs = settings.shutdownGraceMs;
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info(`${signal}: shutting down (running cells get ${graceMs / 1000} s)`);
      running.stop({ graceMs }).then(resolve, (error) => {
        log.error({ err: String(error) }, "shutdown failed");
        resolve();
      });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
  return 0;
}
