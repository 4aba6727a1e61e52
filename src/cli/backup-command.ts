import { parseArgs } from "node:util";
import type { Settings } from "../settings/load-settings.js";
import { backupStore } from "../store/backup-store.js";

export const BACKUP_USAGE = `ponyci backup FILE

Writes a consistent copy of the store (PONYCI_DATA_DIR/ponyci.sqlite: builds,
jobs, results, logs, the embedded queue) to FILE, safely while the server runs
and builds. Never overwrites FILE. Restore: stop the server, copy FILE to
PONYCI_DATA_DIR/ponyci.sqlite (remove ponyci.sqlite-wal and ponyci.sqlite-shm),
start it: cells queued or running at backup time run again.`;

interface Output {
  write(text: string): void;
}

/** `ponyci backup FILE`: exit code 0, or 2 with a message (no store, FILE exists, the copy failed). */
export async function backupCommand(argv: string[], deps: { settings: Pick<Settings, "dataDir">; out: Output }): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: "boolean", short: "h", default: false } } });
  if (values.help) {
    deps.out.write(`${BACKUP_USAGE}\n`);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new Error(`ponyci backup takes one FILE\n\n${BACKUP_USAGE}`);
  const done = backupStore({ dataDir: deps.settings.dataDir, file });
  deps.out.write(`Backed up the store to ${done.file} (${(done.bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
  return 0;
}
