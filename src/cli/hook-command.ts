import { parseArgs } from "node:util";
import { installHook } from "../bridge/install-hook.js";

export const HOOK_USAGE = `ponyci hook install <bare-repo> --repo NAME --url URL --secret-file FILE [--force]

Installs Pony CI's post-receive hook in a bare repository on your git server.
Each push then queues a build and prints one line ("Pony CI: build #12 queued");
the hook waits at most 5 s and never fails a push.

  <bare-repo>          the server's bare repository, e.g. /home/git/project.git
  --repo NAME          the repository's name in the private repositories file
  --url URL            the Pony CI server's base URL, e.g. https://ci.example.com
  --secret-file FILE   file holding the repository's secret (the same as on the
                       server); it stays there, readable by the git user only
  --force              replace a post-receive hook that is not Pony CI's
                       (kept as post-receive.before-ponyci)`;

interface Output {
  write(text: string): void;
}

/** `ponyci hook install …`. Returns the process exit code (2: bad usage). */
export async function hookCommand(argv: string[], deps: { out: Output }): Promise<number> {
  const { out } = deps;
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h") {
    out.write(`${HOOK_USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "install") throw new Error(`unknown hook command ${JSON.stringify(sub)}\n\n${HOOK_USAGE}`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      repo: { type: "string" },
      url: { type: "string" },
      "secret-file": { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  const missing = [
    positionals.length === 0 ? "<bare-repo>" : undefined,
    values.repo === undefined ? "--repo" : undefined,
    values.url === undefined ? "--url" : undefined,
    values["secret-file"] === undefined ? "--secret-file" : undefined,
  ].filter((item): item is string => item !== undefined);
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}\n\n${HOOK_USAGE}`);
  if (positionals.length > 1) throw new Error(`one bare repository at a time, not ${positionals.length}\n\n${HOOK_USAGE}`);

  const installed = await installHook({
    bareRepo: positionals[0] as string,
    repo: values.repo as string,
    url: values.url as string,
    secretFile: values["secret-file"] as string,
    force: values.force,
  });
  if (installed.backupPath) out.write(`Moved the previous hook to ${installed.backupPath}\n`);
  out.write(`Installed ${installed.hookPath}\n  posts to ${installed.endpoint}\n  config   ${installed.configPath}\n`);
  for (const warning of installed.warnings) out.write(`warning: ${warning}\n`);
  return 0;
}
