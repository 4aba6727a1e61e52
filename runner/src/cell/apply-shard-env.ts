import type { CellShard } from "../../../src/domain/cell-runner.js";

/** The variables the harness reads for a shard (runner/harness/ponyci_only_tests.py). */
export const SHARD_VARIABLES = ["PONYCI_SHARD_TESTS", "PONYCI_EXCLUDE_TESTS"] as const;

/**
 * Set, in place, the container variables of one shard of a cell (issue 28):
 * PONYCI_SHARD_TESTS (its tests) or PONYCI_EXCLUDE_TESTS (other shards'
 * tests). Whatever the repository's `env:` said under these names is
 * dropped first: only the server chooses which tests a shard runs.
 */
export function applyShardEnv(env: Record<string, string>, shard: CellShard | undefined): void {
  for (const name of SHARD_VARIABLES) delete env[name];
  if (!shard) return;
  if (shard.tests && shard.tests.length > 0) env.PONYCI_SHARD_TESTS = JSON.stringify(shard.tests);
  if (shard.excludeTests && shard.excludeTests.length > 0) env.PONYCI_EXCLUDE_TESTS = JSON.stringify(shard.excludeTests);
}
