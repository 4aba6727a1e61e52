import { Command } from "commander";

/** `ponyci runner`'s command line: no options, its settings are environment variables. Starts nothing. */
export function runnerCli(): Command {
  return new Command("runner")
    .summary("run cells for a server on this Docker host (needs PONYCI_REDIS_URL)")
    .description(`Runs cells for a Pony CI server on this Docker host until SIGTERM/SIGINT, then
drains (running cells get PONYCI_SHUTDOWN_GRACE seconds). Settings are environment
variables (and ./.env): PONYCI_REDIS_URL and PONYCI_REDIS_SIGNING_KEY (the server's),
PONYCI_CONCURRENCY, PONYCI_RUNNER_LABELS, PONYCI_RUNNER_PYTHONS, PONYCI_RUNNER_PORT
(/healthz and /metrics); see docs/scale-out.md.`);
}
