import type { BuildService } from "../../builds/create-build-service.js";
import type { Store } from "../../store/store.js";
import type { Logger } from "../../domain/logger.js";
import type { ForkApprovals } from "../create-fork-approvals.js";
import type { ForkPrApprovalPolicy } from "../../domain/needs-fork-approval.js";

/** What webhook handlers may use: they translate events and submit, nothing slow. */
export interface HandlerDeps {
  builds: BuildService;
  store: Store;
  /** Our GitHub App's id: check runs of other apps are not ours to re-run. */
  appId: number;
  log: Logger;
  /** Which fork pull requests wait for approval (default "outside"). */
  forkPrApproval?: ForkPrApprovalPolicy;
  /** Approval check runs; without it a pull request that needs approval is not built at all. */
  approvals?: ForkApprovals;
}
