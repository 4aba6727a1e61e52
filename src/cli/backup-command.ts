import { Command } from "commander";
import { parseCommandLine } from "./parse-command-line.js";
import type { Settings } from "../settings/load-settings.js";
import { backupStore } from "../store/backup-store.js";

/** `ponyci backup`'s command line. Starts nothing. */
export function backupCli(): Command {
  return new Command("backup")
    .summary("write a consistent copy of the store to FILE (safe while builds run)")
    .description(`Writes a consistent copy of the store (PONYCI_DATA_DIR/ponyci.sqlite: builds,
jobs, results, logs, the embedded queue) to FILE, safely while the server runs
and builds. Never overwrites FILE. Restore: stop the server, copy FILE to
PONYCI_DATA_DIR/ponyci.sqlite (remove ponyci.sqlite-wal and ponyci.sqlite-shm),
start it: cells queued or running at backup time run again.`)
    .argument("<file>", "where the copy goes (must not exist)");
}

interface Output {
  write(text: string): void;
}

/** `ponyci backup FILE`: exit code 0, or 2 with a message (no store, FILE exists, the copy failed). */
export async function backupCommand(argv: string[], deps: { settings: Pick<Settings, "dataDir">; out: Output }): Promise<number> {
  const parsed = parseCommandLine(backupCli(), argv, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const file = parsed.args[0] as string;
  const done = backupStore({ dataDir: deps.settings.dataDir, file });
  deps.out.write(`Backed up the store to ${done.file} (${(done.bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
  return 0;
}
