#!/usr/bin/env node
/**
 * The `ponyci` command. Each subcommand lives in its own file; this one only
 * routes, loads settings once, and turns errors into messages and exit codes.
 */
import { loadSettings } from "../settings/load-settings.js";
import { SettingsError } from "../settings/settings-error.js";
import { createCliLogger, createServerLogger, type LogLevel } from "../log/create-logger.js";
import { existsSync } from "node:fs";
import { runCommand, RUN_USAGE } from "./run-command.js";
import { hookCommand } from "./hook-command.js";
import { buildsCommand } from "./builds-command.js";
import { showCommand } from "./show-command.js";
import { serveCommand } from "./serve-command.js";
import { gcCommand } from "./gc-command.js";
import { runnerCommand } from "./runner-command.js";
import { hashPasswordCommand } from "./hash-password-command.js";
import { imagesCommand } from "./images-command.js";
import { backupCommand } from "./backup-command.js";
import { schemaCommand } from "./schema-command.js";

const USAGE = `Usage: ponyci <command> [options]

Commands:
  run [PATH|URL]    run a project's Python × Django matrix on this machine
  serve             start the GitHub App server (webhooks, bridge, build pages);
                    without APP_ID, the page that registers the app on GitHub
  runner            run cells for a server on this Docker host (needs PONYCI_REDIS_URL)
  builds            list recorded builds
  show <build>      show a build: cells, results, failure locations
  hook install      install the post-receive hook in a private bare repository
  images [add X.Y]  list the Python base images and where each came from; add one
  gc [--dry-run]    remove caches over the disk budget (PONYCI_DISK_BUDGET), oldest first
  hash-password     read a password on stdin, print its line for PONYCI_WEB_USERS
  backup FILE       write a consistent copy of the store to FILE (safe while builds run)
  schema [NAME]     print the JSON Schema of .github/ponyci.yml (or private-repos) for editors

${RUN_USAGE}`;

/** `ponyci run` prints its own progress: its log stays quiet below warnings unless LOG_LEVEL asks for more. */
function runLevel(level: LogLevel): LogLevel {
  return level === "info" ? "warn" : level;
}

/** Stack traces of unexpected errors are printed when LOG_LEVEL is debug or trace. */
let showStacks = false;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Probot's convention: the server's settings may come from .env in its working directory. Only
  // the daemons (`serve`, `runner`) read it: `ponyci run` is typically started inside a checkout,
  // whose .env is the repository's (PONYCI_PYTHON, PIP_*, DOCKER_HOST...), not the operator's.
  if ((command === "serve" || command === "runner") && existsSync(".env")) process.loadEnvFile(".env");
  const out = { write: (text: string) => void process.stdout.write(text) };
  switch (command) {
    case "run": {
      const settings = loadSettings(process.env, "run");
      showStacks = settings.logLevel === "debug" || settings.logLevel === "trace";
      return runCommand(rest, { settings, log: createCliLogger({ level: runLevel(settings.logLevel) }), out });
    }
    case "serve": {
      const settings = loadSettings(process.env, "serve");
      showStacks = settings.logLevel === "debug" || settings.logLevel === "trace";
      return serveCommand({ settings, log: await createServerLogger({ level: settings.logLevel, format: settings.logFormat }) });
    }
    case "runner": {
      const settings = loadSettings(process.env, "run");
      // A daemon like serve (systemd, many hosts): Probot's format, LOG_FORMAT=json for one object per line.
      return runnerCommand({ settings, log: await createServerLogger({ level: settings.logLevel, format: settings.logFormat }) });
    }
    case "hook":
      return hookCommand(rest, { out });
    case "hash-password":
      return hashPasswordCommand({ stdin: process.stdin, out, err: process.stderr });
    case "builds":
      return buildsCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "gc": {
      const settings = loadSettings(process.env, "run");
      return gcCommand(rest, { settings, out, log: createCliLogger({ level: runLevel(settings.logLevel) }) });
    }
    case "images":
      return imagesCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "backup":
      return backupCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "show":
      return showCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "schema":
      return schemaCommand(rest, { out, err: process.stderr });
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
    if (!(error instanceof SettingsError) && showStacks && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 2;
  },
);
