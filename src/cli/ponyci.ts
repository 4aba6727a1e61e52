#!/usr/bin/env node
/**
 * The `ponyci` command, on commander. Each subcommand lives in its own file
 * with its commander definition (`runCli()`…); this one only routes: the
 * command line is parsed before anything is loaded or started, so `--help`
 * of any command (and `--version`) never needs settings nor starts a
 * server; then settings are loaded once, and errors become messages and
 * exit codes (2: usage or settings; the commands' own codes otherwise).
 */
import { Command, CommanderError } from "commander";
import { loadSettings } from "../settings/load-settings.js";
import { SettingsError } from "../settings/settings-error.js";
import { createCliLogger, createServerLogger, type LogLevel } from "../log/create-logger.js";
import { existsSync } from "node:fs";
// Definitions only (commander): help and parsing load nothing else. Each command's code is imported when it runs.
import { runCli, splitRunArgv } from "./run-cli.js";
import { hookCli } from "./hook-command.js";
import { buildsCli } from "./builds-command.js";
import { showCli } from "./show-command.js";
import { serveCli } from "./serve-cli.js";
import { gcCli } from "./gc-cli.js";
import { runnerCli } from "./runner-cli.js";
import { hashPasswordCli } from "./hash-password-cli.js";
import { imagesCli } from "./images-cli.js";
import { backupCli } from "./backup-command.js";
import { configureCommand, parseCommandLine, UsageError } from "./parse-command-line.js";
import { ponyciVersion } from "./ponyci-version.js";
import { schemaCli } from "./schema-cli.js";

/** `ponyci run` prints its own progress: its log stays quiet below warnings unless LOG_LEVEL asks for more. */
function runLevel(level: LogLevel): LogLevel {
  return level === "info" ? "warn" : level;
}

/** Stack traces of unexpected errors are printed when LOG_LEVEL is debug or trace. */
let showStacks = false;

const out = { write: (text: string) => void process.stdout.write(text) };

/** Every command's definition, in the order `ponyci --help` lists them. */
const COMMANDS: Readonly<Record<string, () => Command>> = {
  run: runCli,
  serve: serveCli,
  runner: runnerCli,
  builds: buildsCli,
  show: showCli,
  hook: hookCli,
  images: imagesCli,
  gc: gcCli,
  "hash-password": hashPasswordCli,
  backup: backupCli,
  schema: schemaCli,
};

/** `ponyci` itself: the list of commands, --version. */
function ponyciCli(): Command {
  const program = new Command("ponyci")
    .usage("<command> [options]")
    .description("Pony CI: a Django project's Python × Django matrix, each cell in its own container.\nHelp on one command: ponyci <command> --help (or ponyci help <command>).")
    .version(ponyciVersion(), "-V, --version", "print Pony CI's version")
    .helpCommand("help [command]", "help on a command");
  for (const define of Object.values(COMMANDS)) program.addCommand(define());
  return configureCommand(program, out);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const define = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!define) {
    // No command, --help, --version, `help X`, or an unknown command: commander answers.
    if (command === undefined) {
      out.write(ponyciCli().helpInformation());
      return 2;
    }
    return parseCommandLine(ponyciCli(), argv, out).exitCode ?? 2;
  }
  // `hook` parses its subcommand itself and reads no settings.
  if (command === "hook") return (await import("./hook-command.js")).hookCommand(rest, { out });
  // The command line first: --help prints and returns before settings are read or anything starts.
  const parsed = parseCommandLine(define(), command === "run" ? splitRunArgv(rest).own : rest, out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;

  // Probot's convention: the server's settings may come from .env in its working directory. Only
  // the daemons (`serve`, `runner`) read it: `ponyci run` is typically started inside a checkout,
  // whose .env is the repository's (PONYCI_PYTHON, PIP_*, DOCKER_HOST...), not the operator's.
  if ((command === "serve" || command === "runner") && existsSync(".env")) process.loadEnvFile(".env");
  switch (command) {
    case "run": {
      const settings = loadSettings(process.env, "run");
      showStacks = settings.logLevel === "debug" || settings.logLevel === "trace";
      const terminal = { isTTY: process.stdout.isTTY === true, columns: process.stdout.columns, env: process.env };
      return (await import("./run-command.js")).runCommand(rest, { settings, log: createCliLogger({ level: runLevel(settings.logLevel) }), out, terminal });
    }
    case "serve": {
      const settings = loadSettings(process.env, "serve");
      showStacks = settings.logLevel === "debug" || settings.logLevel === "trace";
      return (await import("./serve-command.js")).serveCommand({ settings, log: await createServerLogger({ level: settings.logLevel, format: settings.logFormat }) });
    }
    case "runner": {
      const settings = loadSettings(process.env, "run");
      // A daemon like serve (systemd, many hosts): Probot's format, LOG_FORMAT=json for one object per line.
      return (await import("./runner-command.js")).runnerCommand({ settings, log: await createServerLogger({ level: settings.logLevel, format: settings.logFormat }) });
    }
    case "hash-password":
      return (await import("./hash-password-command.js")).hashPasswordCommand({ stdin: process.stdin, out, err: process.stderr });
    case "builds":
      return (await import("./builds-command.js")).buildsCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "gc": {
      const settings = loadSettings(process.env, "run");
      return (await import("./gc-command.js")).gcCommand(rest, { settings, out, log: createCliLogger({ level: runLevel(settings.logLevel) }) });
    }
    case "images":
      return (await import("./images-command.js")).imagesCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "backup":
      return (await import("./backup-command.js")).backupCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "show":
      return (await import("./show-command.js")).showCommand(rest, { settings: loadSettings(process.env, "run"), out });
    case "schema":
      return (await import("./schema-command.js")).schemaCommand(rest, { out, err: process.stderr });
    default:
      throw new Error(`ponyci: no handler for ${command}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ponyci: ${error instanceof Error ? error.message : String(error)}\n`);
    const expected = error instanceof SettingsError || error instanceof UsageError || error instanceof CommanderError;
    if (!expected && showStacks && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 2;
  },
);
