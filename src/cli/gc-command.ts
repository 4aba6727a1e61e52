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
import { openExistingStore } from "../store/open-existing-store.js";
import type { Store } from "../store/store.js";

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

/**
 * `ponyci gc`: one collection by hand. Exit code 0, or 1 when something could
 * not be listed or removed. Reads PONYCI_DATA_DIR's store and never creates
 * one: a wrong data directory is NoStoreError (exit 2), as for `builds`.
 */
export async function gcCommand(argv: string[], deps: GcCommandDeps): Promise<number> {
  const parsed = parseCommandLine<{ dryRun?: boolean }>(gcCli(), argv, deps.out);
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const store = openExistingStore({ dataDir: deps.settings.dataDir });
  try {
    const collector = createGarbageCollector({
      budgetBytes: deps.settings.diskBudgetBytes,
      log: deps.log,
      sources: deps.sources?.(store) ?? [...createRunnerSources({ docker: createDocker(), dataDir: deps.settings.dataDir, toolchainImages: true }), ...createStoreSources(store)],
    });
    const report = await collector.collect({ dryRun: parsed.options.dryRun ?? false });
    deps.out.write(formatGcReport(report));
    return report.errors.length > 0 ? 1 : 0;
  } finally {
    store.close();
  }
}
