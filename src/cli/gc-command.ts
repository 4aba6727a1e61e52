import { parseCommandLine } from "./parse-command-line.js";
import { gcCli } from "./gc-cli.js";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import type { GcSource } from "../domain/gc-item.js";
import { createGarbageCollector } from "../gc/create-garbage-collector.js";
import { createStoreSources } from "../gc/create-store-sources.js";
import { createRunnerSources } from "../../runner/src/gc/create-runner-sources.js";
import { formatGcReport } from "../gc/format-gc-report.js";
import type { Logger } from "../domain/logger.js";
import type { Settings } from "../settings/load-settings.js";
import { NoStoreError, openExistingStore } from "../store/open-existing-store.js";
import type { Store } from "../store/store.js";
import { cliDataDir } from "./run-on-engine.js";

interface Output {
  write(text: string): void;
}

export interface GcCommandDeps {
  settings: Pick<Settings, "dataDir" | "diskBudgetBytes">;
  out: Output;
  log: Logger;
  /** Tests: sources of their own (default: this data directory, its Docker daemon, its stores). */
  sources?: (stores: Store[]) => GcSource[];
}

/**
 * `ponyci gc`: one collection by hand. Exit code 0, or 1 when something could
 * not be listed or removed. Reads PONYCI_DATA_DIR's stores, the server's and
 * `ponyci run`'s (cliDataDir: its job logs grow with every run too), and never
 * creates one: a data directory with neither is NoStoreError (exit 2), as for `builds`.
 */
export async function gcCommand(argv: string[], deps: GcCommandDeps): Promise<number> {
  const parsed = parseCommandLine<{ dryRun?: boolean }>(gcCli(), argv, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const stores = [deps.settings.dataDir, cliDataDir(deps.settings.dataDir)].flatMap((dataDir) => {
    try {
      return [openExistingStore({ dataDir })];
    } catch (error) {
      if (error instanceof NoStoreError) return [];
      throw error;
    }
  });
  if (stores.length === 0) {
    throw new NoStoreError(`there is no Pony CI store in ${deps.settings.dataDir} (neither the server's nor \`ponyci run\`'s): set PONYCI_DATA_DIR to the data directory to collect`);
  }
  try {
    const collector = createGarbageCollector({
      budgetBytes: deps.settings.diskBudgetBytes,
      log: deps.log,
      sources: deps.sources?.(stores) ?? [...createRunnerSources({ docker: createDocker(), dataDir: deps.settings.dataDir, toolchainImages: true }), ...stores.flatMap((store) => createStoreSources(store))],
    });
    const report = await collector.collect({ dryRun: parsed.options.dryRun ?? false });
    deps.out.write(formatGcReport(report));
    return report.errors.length > 0 ? 1 : 0;
  } finally {
    for (const store of stores) store.close();
  }
}
