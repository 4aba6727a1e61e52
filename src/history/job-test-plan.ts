import { createDefaultTestPolicy, type TestPolicy } from "../domain/test-policy.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";

/**
 * What issue 15 reads from a job's stored plan (its `external`), whatever
 * else the planner keeps there: the tests a re-run is limited to, and the
 * job a confirmation re-run confirms.
 */
export interface JobTestPlan {
  /** The job ran only these tests (a re-run of failed tests, or a confirmation). */
  onlyTests?: string[];
  /** This job re-ran the failures of that job, automatically, before the change was blamed. */
  confirms?: string;
}

export function jobTestPlanOf(job: Pick<JobRecord, "external">): JobTestPlan {
  const { onlyTests, confirms } = job.external as { onlyTests?: unknown; confirms?: unknown };
  const plan: JobTestPlan = {};
  if (Array.isArray(onlyTests)) plan.onlyTests = onlyTests.filter((t): t is string => typeof t === "string");
  if (typeof confirms === "string") plan.confirms = confirms;
  return plan;
}

/**
 * A build's cells, each with its confirmation re-runs (its attempts 2, 3, …),
 * in the jobs' order: a confirmation is an attempt of its cell, never a cell
 * (a tile, a column, a count) of its own. A confirmation whose job is not in
 * the list stands as a cell, so nothing is hidden.
 */
export function groupAttempts<T extends Pick<JobRecord, "id" | "external">>(jobs: readonly T[]): { job: T; attempts: T[] }[] {
  const cells = new Map<string, { job: T; attempts: T[] }>();
  for (const job of jobs) if (jobTestPlanOf(job).confirms === undefined) cells.set(job.id, { job, attempts: [] });
  const lone: { job: T; attempts: T[] }[] = [];
  for (const job of jobs) {
    const confirms = jobTestPlanOf(job).confirms;
    if (confirms === undefined) continue;
    const cell = cells.get(confirms);
    if (cell) cell.attempts.push(job);
    else lone.push({ job, attempts: [] });
  }
  return [...cells.values(), ...lone];
}

/**
 * A build's test policy, from its commit's config as planning recorded it
 * (`plan.testPolicy`); the defaults for builds planned before issue 15.
 */
export function testPolicyOf(build: Pick<BuildRecord, "plan">): TestPolicy {
  const recorded = build.plan.testPolicy as Partial<TestPolicy> | undefined;
  return { ...createDefaultTestPolicy(), ...recorded };
}
