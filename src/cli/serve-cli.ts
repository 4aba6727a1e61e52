import { Command } from "commander";

/** `ponyci serve`'s command line: no options, its settings are environment variables. Starts nothing. */
export function serveCli(): Command {
  return new Command("serve")
    .summary("start the GitHub App server (webhooks, bridge, build pages); without APP_ID, the page that registers the app on GitHub")
    .description(`Starts the GitHub App server (webhooks, the bridge for private repositories,
build pages, dashboards) and runs until SIGTERM/SIGINT, then shuts down gracefully
(running cells get PONYCI_SHUTDOWN_GRACE seconds). SIGHUP reloads the users and
private repositories files. Without APP_ID it serves the page that registers the
GitHub App. Settings are environment variables (and ./.env, Probot's convention):
see the README.`);
}
