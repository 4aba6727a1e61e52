import { CheckoutError } from "../../../src/domain/checkout-error.js";

/** Every branch and tag, force-updated: the mirror follows the remote's rewrites. */
export const BASE_REFSPECS = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"] as const;

/**
 * The refspecs of one fetch: all branches and tags, plus each extra ref (e.g.
 * `refs/pull/7/head` of a fork PR) stored under its own name.
 * @throws CheckoutError `invalid-request` for a ref that is not a plain `refs/…` name
 */
export function buildFetchRefspecs(fetchRefs: readonly string[] = []): string[] {
  const extra = fetchRefs.map((ref) => {
    if (!isPlainRef(ref)) {
      throw new CheckoutError("invalid-request", `cannot fetch ${JSON.stringify(ref)}: give a full ref name such as "refs/pull/7/head"`);
    }
    return `+${ref}:${ref}`;
  });
  return [...BASE_REFSPECS, ...new Set(extra)];
}

/** A full ref name without wildcards or anything git would read otherwise. */
function isPlainRef(ref: string): boolean {
  return /^refs\/[A-Za-z0-9._\-/]+$/.test(ref) && !ref.includes("..") && !ref.includes("//") && !ref.endsWith("/") && !ref.endsWith(".lock") && !ref.endsWith(".");
}

