import type { BuildService } from "../../builds/create-build-service.js";
import type { Store } from "../../store/store.js";
import type { Logger } from "../../domain/logger.js";

/** What webhook handlers may use: they translate events and submit, nothing slow. */
export interface HandlerDeps {
  builds: BuildService;
  store: Store;
  /** Our GitHub App's id: check runs of other apps are not ours to re-run. */
  appId: number;
  log: Logger;
}
