import { parseArgs } from "node:util";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import type { GcSource } from "../domain/gc-item.js";
import { createGarbageCollector } from "../gc/create-garbage-collector.js";
import { createStoreSources } from "../gc/create-store-sources.js";
import { createRunnerSources } from "../../runner/src/gc/create-runner-sources.js";
import { formatGcReport } from "../gc/format-gc-report.js";
import type { Logger } from "../domain/logger.js";
import type { Settings } from "../settings/load-settings.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";

export const GC_USAGE = `ponyci gc [--dry-run]

Removes what is over the disk budget (PONYCI_DISK_BUDGET, default 25% of the
disk holding PONYCI_DATA_DIR), least recently used first: environments (and the
unpacked wheels they link), wheels, git mirrors, job logs; plus, whatever the budget, workspaces of crashed
jobs and deliveries older than a week. Never what a running job uses, nor
anything used in the last 15 minutes. Prints what it freed, per kind.
--dry-run lists and decides but removes nothing.`;

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
  const { values } = parseArgs({ args: argv, options: { "dry-run": { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } } });
  if (values.help) {
    deps.out.write(`${GC_USAGE}\n`);
    return 0;
  }
  const store = openStore({ dataDir: deps.settings.dataDir });
  try {
    const collector = createGarbageCollector({
      budgetBytes: deps.settings.diskBudgetBytes,
      log: deps.log,
      sources: deps.sources?.(store) ?? [...createRunnerSources({ docker: createDocker(), dataDir: deps.settings.dataDir }), ...createStoreSources(store)],
    });
    const report = await collector.collect({ dryRun: values["dry-run"] });
    deps.out.write(formatGcReport(report));
    return report.errors.length > 0 ? 1 : 0;
  } finally {
    store.close();
  }
}
