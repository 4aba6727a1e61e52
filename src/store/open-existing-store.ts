import { existsSync } from "node:fs";
import { join } from "node:path";
import { openStore, STORE_FILE, type OpenStoreOptions } from "./open-store.js";
import type { Store } from "./store.js";

/** A data directory without a store: the commands that only read one say so, and create nothing. */
export class NoStoreError extends Error {
  override name = "NoStoreError";
}

/**
 * Opens the store of a data directory that has one (`ponyci builds`,
 * `show`): a wrong PONYCI_DATA_DIR gets a clear error instead of a new,
 * empty store (openStore creates one, as `ponyci serve` wants).
 * @throws NoStoreError when `<dataDir>/ponyci.sqlite` does not exist.
 */
export function openExistingStore(options: OpenStoreOptions): Store {
  const file = join(options.dataDir, STORE_FILE);
  if (!existsSync(file)) throw new NoStoreError(`there is no Pony CI store in ${options.dataDir} (no ${STORE_FILE}): set PONYCI_DATA_DIR to the server's data directory`);
  return openStore(options);
}
