import { Command } from "commander";
import { UsageError } from "./parse-command-line.js";

/** `ponyci run`'s command line: options, help, and what ARGS after `--` do. Starts nothing. */
export function runCli(): Command {
  return new Command("run")
    .summary("run a project's Python × Django matrix on this machine")
    .description("Runs the Python × Django matrix of a Django project on this machine, each cell\nin its own container, and prints a table of results. Exit code 1 when a cell fails.")
    .usage("[PATH | GIT-URL] [options] [-- ARGS...]")
    .argument("[path]", "a directory (default: .) or a git URL")
    .option("-p, --python <versions>", "only these Python versions, e.g. 3.11,3.13", collect)
    .option("-d, --django <versions>", "only these Django versions, e.g. 4.2,5.2 (these flags narrow the repository's matrix; without one they define it; else the default matrix)", collect)
    .option("-r, --rev <rev>", "build this commit/branch instead of the working tree")
    .option("-j, --jobs <n>", "cells at once (default PONYCI_CONCURRENCY: the core count)")
    .option("-l, --list", "print the cells it would run and every note on the cells it leaves out, and run nothing (as `tox -l`)")
    .option("--json <file>", "also write every cell's verdict, counts and tests as JSON; with --list: the list as JSON on stdout (--json=FILE: into FILE)")
    .option("--junit <file>", "also write JUnit XML (one testsuite per cell) for Jenkins, GitLab and GitHub test reporters")
    .option("-v, --verbose", "print every line of test output")
    .option("-q, --quiet", "print only the final table and verdict (and errors)")
    .addHelpText(
      "after",
      `
ARGS after -- reach the test command as tox's {posargs}: where the tox env's
commands say {posargs} (or {posargs:default}, whose default they replace);
appended to the config's \`test:\` command, or to the detected Django/pytest
command. They are quoted, never read by a shell on this host, e.g.
  ponyci run -p 3.12 -- tests.test_models -v 2
On a terminal, lines are coloured and a live line shows the cells running
(NO_COLOR=1 turns colour off, https://no-color.org).`,
    );
}

/**
 * The command line's words split at the first `--`: ponyci's own, and the
 * test command's (undefined without `--`, as tox).
 * @throws UsageError for a test command's argument holding a line break or
 *   NUL: a tox env's commands are one per line, and no argv holds a NUL.
 */
export function splitRunArgv(argv: readonly string[]): { own: string[]; posargs?: string[] } {
  const dash = argv.indexOf("--");
  const bad = dash === -1 ? undefined : argv.slice(dash + 1).find((arg) => /[\r\n\0]/.test(arg));
  if (bad !== undefined) throw new UsageError(`an argument after -- holds a line break or NUL: ${JSON.stringify(bad)}`);
  const own = listJsonArgs(dash === -1 ? [...argv] : argv.slice(0, dash));
  return dash === -1 ? { own } : { own, posargs: argv.slice(dash + 1) };
}

/** The options runCli() parses. */
export interface RunOptions {
  python?: string[];
  django?: string[];
  rev?: string;
  jobs?: string;
  list?: boolean;
  json?: string;
  junit?: string;
  verbose?: boolean;
  quiet?: boolean;
}

/** With `--list`, a bare `--json` prints to stdout (as `tox -l` prints): the next word stays the PATH; `--json=FILE` writes a file. */
function listJsonArgs(argv: string[]): string[] {
  if (!argv.includes("--list")) return argv;
  return argv.map((arg) => (arg === "--json" ? "--json=-" : arg));
}

/** A repeatable option's values, in order. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
