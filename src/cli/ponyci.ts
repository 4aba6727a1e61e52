#!/usr/bin/env node
/**
 * The `ponyci` command. Each subcommand lives in its own file; this one only
 * routes, loads settings once, and turns errors into messages and exit codes.
 */
import { loadSettings } from "../settings/load-settings.js";
import { SettingsError } from "../settings/settings-error.js";
import { createConsoleLogger, type LogLevel } from "../log/logger.js";
import type { Settings } from "../settings/load-settings.js";
import { existsSync } from "node:fs";
import { runCommand, RUN_USAGE } from "./run-command.js";
import { hookCommand } from "./hook-command.js";
import { buildsCommand } from "./builds-command.js";
import { showCommand } from "./show-command.js";
import { serveCommand } from "./serve-command.js";
import { runnerCommand } from "./runner-command.js";

const USAGE = `Usage: ponyci <command> [options]

Commands:
  run [PATH|URL]    run a project's Python × Django matrix on this machine
  serve             start the GitHub App server (webhooks, bridge, dashboards)
  runner            run cells for a server on this Docker host (needs PONYCI_REDIS_URL)
  builds            list recorded builds
  show <build>      show a build: cells, results, failure locations
  hook install      install the post-receive hook in a private bare repository

${RUN_USAGE}`;

/** LOG_LEVEL for the console logger; the CLI's own job stays quiet below warnings unless asked. */
function consoleLevel(level: Settings["logLevel"], quiet: boolean): LogLevel {
  if (level === "trace" || level === "debug") return "debug";
  if (level === "fatal") return "error";
  if (quiet && level === "info") return "warn";
  return level;
}

async function main(argv: string[]): Promise<number> {
  // Probot's convention: settings may come from .env in the working directory.
  if (existsSync(".env")) process.loadEnvFile(".env");
  const [command, ...rest] = argv;
  const out = { write: (text: string) => void process.stdout.write(text) };
  switch (command) {
    case "run": {
      const settings = loadSettings(process.env, "run");
      return runCommand(rest, { settings, log: createConsoleLogger(consoleLevel(settings.logLevel, true)), out });
    }
    case "serve": {
      const settings = loadSettings(process.env, "serve");
      return serveCommand({ settings, log: createConsoleLogger(consoleLevel(settings.logLevel, false)) });
    }
    case "runner": {
      const settings = loadSettings(process.env, "run");
      return runnerCommand({ settings, log: createConsoleLogger(consoleLevel(settings.logLevel, false)) });
    }
    case "hook":
      return hookCommand(rest, { out });
    case "builds":
      return buildsCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "show":
      return showCommand(rest, { settings: loadSettings(process.env, "run"), out });
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
    process.stderr.write(`ponyci: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!(error instanceof SettingsError) && process.env.LOG_LEVEL === "debug" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 2;
  },
);
