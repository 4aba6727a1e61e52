import { CHECK_RUN_LIMITS } from "./check-run-limits.js";

/**
 * Splits annotations into request-sized chunks, in order: at most `size`
 * each (default and maximum 50, GitHub's per-request limit). No annotations,
 * no chunks.
 */
export function batchAnnotations<T>(annotations: readonly T[], size: number = CHECK_RUN_LIMITS.annotationsPerRequest): T[][] {
  if (!Number.isInteger(size) || size < 1 || size > CHECK_RUN_LIMITS.annotationsPerRequest) {
    throw new RangeError(`batch size must be an integer from 1 to ${CHECK_RUN_LIMITS.annotationsPerRequest}, got ${size}`);
  }
  const batches: T[][] = [];
  for (let i = 0; i < annotations.length; i += size) batches.push(annotations.slice(i, i + size));
  return batches;
}
