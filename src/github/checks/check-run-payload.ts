/**
 * The parts of GitHub's check-run request bodies Pony CI writes (a subset of
 * `PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}`; the create body
 * adds `name` and `head_sha`). Limits: see check-run-limits.ts.
 */

/** Conclusions an app may set (GitHub alone sets `stale`). */
export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "timed_out" | "action_required" | "skipped";

export type CheckStatus = "queued" | "in_progress" | "completed";

/** One annotation. Paths are repo-root-relative; lines are 1-based; Pony CI never sends columns. */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

/** `output`: title and summary are replaced on each write, annotations are appended. */
export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: CheckAnnotation[];
}

/** A button shown on a completed check run; a click sends `check_run.requested_action`. */
export interface CheckAction {
  label: string;
  description: string;
  identifier: string;
}

/** One update (PATCH) of a check run. */
export interface CheckRunUpdate {
  status?: CheckStatus;
  conclusion?: CheckConclusion;
  /** ISO 8601, `YYYY-MM-DDTHH:MM:SSZ`. */
  started_at?: string;
  completed_at?: string;
  details_url?: string;
  external_id?: string;
  output?: CheckOutput;
  actions?: CheckAction[];
}
