import { Command, CommanderError } from "commander";

interface Output {
  write(text: string): void;
}

/** What a command line asked for: options and arguments to act on, or an exit code (help was printed). */
export type ParsedCommandLine<Options> = { options: Options; args: string[]; exitCode?: undefined } | { exitCode: number };

/** A command line commander refused (unknown option, missing value, too many arguments): exit code 2, as every usage error. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Parse `argv` (the words after the command's name) with `command`, a
 * commander definition that starts nothing: help (`-h`, `--help`) goes to
 * `out` and gives exit code 0; a command line commander refuses throws a
 * UsageError naming the command's `--help`. Commander never exits the
 * process here (exitOverride), so tests call commands directly.
 */
export function parseCommandLine<Options>(command: Command, argv: readonly string[], out: Output): ParsedCommandLine<Options> {
  // Under a `ponyci` parent, help's usage line reads "ponyci run …" (commander prints the parents' names).
  let top = command;
  while (top.parent) top = top.parent;
  if (top.name() !== "ponyci") new Command("ponyci").addCommand(top);
  configureCommand(command, out);
  try {
    command.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === "commander.helpDisplayed" || error.code === "commander.help" || error.code === "commander.version")) return { exitCode: 0 };
    if (error instanceof CommanderError) throw new UsageError(`${error.message.replace(/^error: /, "")} (see ${commandPath(command)} --help)`);
    throw error;
  }
  return { options: command.opts() as Options, args: [...command.args] };
}

/** exitOverride, help to `out`, commander's own error line silenced (the caller prints the UsageError), for the command and its subcommands. */
export function configureCommand(command: Command, out: Output): Command {
  // Help texts are written as paragraphs: single line breaks are joined, commander wraps to the terminal's width
  // (an indented line, such as an example, stays on its own).
  command.description(command.description().replace(/(?<=\S)\n(?=\S)/g, " "));
  command
    .exitOverride()
    .configureOutput({ writeOut: (text) => out.write(text), writeErr: (text) => out.write(text), outputError: () => undefined })
    .showSuggestionAfterError(true);
  // Without an action commander does not check the arguments' count.
  if (command.commands.length === 0) command.action(() => undefined);
  for (const sub of command.commands) configureCommand(sub, out);
  return command;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names[0] === "ponyci" ? names.join(" ") : ["ponyci", ...names].join(" ");
}
