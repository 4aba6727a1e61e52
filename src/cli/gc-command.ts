import { Command } from "commander";
import { parseCommandLine } from "./parse-command-line.js";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import type { GcSource } from "../../runner/src/gc/gc-item.js";
import { createGarbageCollector } from "../gc/create-garbage-collector.js";
import { formatGcReport } from "../gc/format-gc-report.js";
import type { Logger } from "../domain/logger.js";
import type { Settings } from "../settings/load-settings.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

/** `ponyci gc`'s command line. Starts nothing. */
export function gcCli(): Command {
  return new Command("gc")
    .summary("remove caches over the disk budget (PONYCI_DISK_BUDGET), oldest first")
    .description(`Removes what is over the disk budget (PONYCI_DISK_BUDGET, default 25% of the
disk holding PONYCI_DATA_DIR), least recently used first: environments (and the
unpacked wheels they link), wheels, git mirrors, job logs; plus, whatever the budget, workspaces of crashed
jobs and deliveries older than a week. Never what a running job uses, nor
anything used in the last 15 minutes. Prints what it freed, per kind.`)
    .option("-n, --dry-run", "list and decide, remove nothing");
}

interface Output {
  write(text: string): void;
}

export interface GcCommandDeps {
  settings: Pick<Settings, "dataDir" | "diskBudgetBytes">;
  out: Output;
  log: Logger;
  /** Tests: sources of their own (default: this data directory, its Docker daemon, its store). */
  sources?: (store: Store) => GcSource[];
}

/** `ponyci gc`: one collection by hand. Exit code 0, or 1 when something could not be listed or removed. */
export async function gcCommand(argv: string[], deps: GcCommandDeps): Promise<number> {
  const parsed = parseCommandLine<{ dryRun?: boolean }>(gcCli(), argv, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const store = openStore({ dataDir: deps.settings.dataDir });
  try {
    const collector = createGarbageCollector({
      docker: createDocker(),
      store,
      dataDir: deps.settings.dataDir,
      budgetBytes: deps.settings.diskBudgetBytes,
      log: deps.log,
      sources: deps.sources?.(store),
    });
    const report = await collector.collect({ dryRun: parsed.options.dryRun ?? false });
    deps.out.write(formatGcReport(report));
    return report.errors.length > 0 ? 1 : 0;
  } finally {
    store.close();
  }
}
