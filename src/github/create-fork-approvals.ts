import type { Outbox } from "../outbox/outbox.js";
import type { Clock } from "../domain/clock.js";
import { systemClock } from "../domain/clock.js";
import type { CheckRunWrite } from "./check-run-write.js";
import { escapeMarkdown } from "./checks/safe-text.js";
import { formatTimestamp } from "./checks/format.js";
import { AGGREGATE_CHECK_NAME } from "./checks/decide-aggregate.js";

/** Where an approval check run lives: the base repository of the pull request, at its head commit. */
export interface ApprovalTarget {
  installationId: number;
  owner: string;
  repo: string;
  sha: string;
  prNumber: number;
}

/**
 * The approval check runs of fork pull requests. Writes go through the
 * outbox like every other check run write. Contract: requestApproval is
 * called once per pull request head that waits; recordApproval after a user
 * with write permission clicked "Approve and run" on that run.
 */
export interface ForkApprovals {
  requestApproval(target: ApprovalTarget, author: string): void;
  recordApproval(target: ApprovalTarget, checkRunId: number, approver: string): void;
}

/** The button's identifier (≤ 20 characters), and how the run's external_id names the pull request. */
export const APPROVE_ACTION = "approve-run";
/**
 * The approval run is the commit's aggregate "Pony CI" (required by branch
 * protection) while the pull request waits: `action_required` until someone
 * approves; the build's own "Pony CI" run then supersedes it (GitHub judges
 * the latest run of a name).
 */
export const APPROVAL_CHECK_NAME = AGGREGATE_CHECK_NAME;
const EXTERNAL_ID_PREFIX = "ponyci-approve:";

/** "ponyci-approve:7" for pull request 7: what a click's check_run.external_id carries back (forks' check runs list no pull requests). */
export function approvalExternalId(prNumber: number): string {
  return `${EXTERNAL_ID_PREFIX}${prNumber}`;
}

/** The pull request number of an approval run's external_id; undefined for any other run. */
export function prNumberOfApproval(externalId: string | null | undefined): number | undefined {
  const m = /^ponyci-approve:(\d{1,10})$/.exec(externalId ?? "");
  return m ? Number(m[1]) : undefined;
}

export function createForkApprovals(options: { outbox: Pick<Outbox, "enqueue">; publicUrl: string; clock?: Clock }): ForkApprovals {
  const clock = options.clock ?? systemClock;
  const key = (t: ApprovalTarget) => `approval:${t.owner}/${t.repo}#${t.prNumber}@${t.sha}`;
  const base = (t: ApprovalTarget) => ({ installationId: t.installationId, owner: t.owner, repo: t.repo });
  const send = (t: ApprovalTarget, kind: string, write: CheckRunWrite) => options.outbox.enqueue({ key: key(t), kind, payload: write });
  return {
    requestApproval(target, author) {
      send(target, "complete", {
        ...base(target),
        create: {
          name: APPROVAL_CHECK_NAME,
          head_sha: target.sha,
          status: "completed",
          conclusion: "action_required",
          completed_at: formatTimestamp(clock.now()),
          external_id: approvalExternalId(target.prNumber),
          details_url: options.publicUrl,
          output: {
            title: "Waiting for approval",
            summary:
              `This pull request comes from a fork by @${escapeMarkdown(author)}, who is not a collaborator of this repository. ` +
              "Pony CI runs a pull request's code only after someone with write access has read it: press **Approve and run** above to build this commit. " +
              "Every new commit pushed to the pull request needs approval again.",
          },
          actions: [{ label: "Approve and run", description: "Run Pony CI on this commit", identifier: APPROVE_ACTION }],
        },
      });
    },
    recordApproval(target, checkRunId, approver) {
      send(target, "complete", {
        ...base(target),
        checkRunId,
        // Not `success`: a required "Pony CI" must not pass, even for a moment, before the cells ran.
        update: {
          output: { title: `Approved by @${approver}`, summary: `@${escapeMarkdown(approver)} approved running this commit; its check runs follow, with a new Pony CI run.` },
          actions: [],
        },
      });
    },
  };
}
