import type { FinishedEvent } from "../domain/events.js";
import type { FailureReport } from "./classify-failures.js";

/**
 * The conclusion a cell gets from its classified failures, or undefined to
 * keep the runner's. Only a cell whose tests ran to a verdict and failed is
 * re-judged: a suite that could not start, a crash, a timeout or an
 * infrastructure error keeps its own conclusion, as does a failure no test
 * accounts for (a non-zero exit with every test passing).
 */
export function judgeCell(finished: Pick<FinishedEvent, "conclusion" | "error">, report: FailureReport | undefined): FailureReport["conclusion"] | undefined {
  if (!report || finished.conclusion !== "failure" || finished.error) return undefined;
  if (report.failures.length === 0) return undefined;
  return report.conclusion;
}
