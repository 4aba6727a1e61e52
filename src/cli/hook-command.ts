import { Command } from "commander";
import { parseCommandLine, UsageError } from "./parse-command-line.js";
import { installHook } from "../bridge/install-hook.js";

/** `ponyci hook install`'s command line. Starts nothing. */
export function hookInstallCli(): Command {
  return new Command("install")
    .summary("install the post-receive hook in a private bare repository")
    .description(`Installs Pony CI's post-receive hook in a bare repository on your git server.
Each push then queues a build and prints one line ("Pony CI: build #12 queued");
the hook waits at most 5 s and never fails a push.`)
    .argument("<bare-repo>", "the server's bare repository, e.g. /home/git/project.git")
    // Required, but checked after parsing: one error names every missing one.
    .option("--repo <name>", "required: the repository's name in the private repositories file")
    .option("--url <url>", "required: the Pony CI server's base URL, e.g. https://ci.example.com")
    .option("--secret-file <file>", "required: file holding the repository's secret (the same as on the server); it stays there, readable by the git user only")
    .option("-f, --force", "replace a post-receive hook that is not Pony CI's (kept as post-receive.before-ponyci)");
}

/** `ponyci hook`'s command line: its subcommands. Starts nothing. */
export function hookCli(): Command {
  return new Command("hook").summary("install the post-receive hook in a private bare repository").description("Git hooks for private repositories (the bridge).").addCommand(hookInstallCli());
}

interface Output {
  write(text: string): void;
}

/** `ponyci hook install …`. Returns the process exit code (2: bad usage). */
export async function hookCommand(argv: string[], deps: { out: Output }): Promise<number> {
  const { out } = deps;
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    out.write(hookCli().helpInformation());
    return 2;
  }
  if (sub !== "install") {
    const parsed = parseCommandLine(hookCli(), argv, out);
    return parsed.exitCode ?? 2;
  }
  // Parsed as a subcommand of `hook`: its help's usage line reads "ponyci hook install".
  const install = hookCli().commands.find((c) => c.name() === "install") ?? hookInstallCli();
  const parsed = parseCommandLine<{ repo?: string; url?: string; secretFile?: string; force?: boolean }>(install, rest, out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const values = parsed.options;
  const missing = [values.repo === undefined ? "--repo" : undefined, values.url === undefined ? "--url" : undefined, values.secretFile === undefined ? "--secret-file" : undefined];
  const missed = missing.filter((item): item is string => item !== undefined);
  if (missed.length > 0) throw new UsageError(`missing ${missed.join(", ")} (see ponyci hook install --help)`);
  const installed = await installHook({
    bareRepo: parsed.args[0] as string,
    repo: values.repo as string,
    url: values.url as string,
    secretFile: values.secretFile as string,
    force: values.force ?? false,
  });
  if (installed.backupPath) out.write(`Moved the previous hook to ${installed.backupPath}\n`);
  out.write(`Installed ${installed.hookPath}\n  posts to ${installed.endpoint}\n  config   ${installed.configPath}\n`);
  for (const warning of installed.warnings) out.write(`warning: ${warning}\n`);
  return 0;
}
