#!/usr/bin/env node
/**
 * The `ponyci` command. Each subcommand lives in its own file; this one only
 * routes, loads settings once, and turns errors into messages and exit codes.
 */
import { loadSettings } from "../settings/load-settings.js";
import { SettingsError } from "../settings/settings-error.js";
import { createConsoleLogger } from "../log/logger.js";
import { runCommand, RUN_USAGE } from "./run-command.js";

const USAGE = `Usage: ponyci <command> [options]

Commands:
  run [PATH|URL]    run a project's Python × Django matrix on this machine
  serve             start the GitHub App server (webhooks, bridge, dashboards)
  builds            list recorded builds
  show <build>      show a build: cells, results, failure locations
  hook install      install the post-receive hook in a private bare repository

${RUN_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = { write: (text: string) => void process.stdout.write(text) };
  switch (command) {
    case "run": {
      const settings = loadSettings(process.env, "run");
      return runCommand(rest, { settings, log: createConsoleLogger(settings.logLevel === "debug" || settings.logLevel === "trace" ? "debug" : "warn"), out });
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      out.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`ponyci: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof SettingsError) {
      process.stderr.write(`ponyci: ${error.message}\n`);
    } else {
      process.stderr.write(`ponyci: ${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.LOG_LEVEL === "debug" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = 2;
  },
);
