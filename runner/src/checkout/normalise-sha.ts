import { CheckoutError } from "../../../src/domain/checkout-error.js";

/**
 * A commit id as git prints it: 40 (sha-1) or 64 (sha-256) lowercase hex digits.
 * @throws CheckoutError `invalid-request`
 */
export function normaliseSha(sha: string): string {
  const lower = sha.trim().toLowerCase();
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(lower)) {
    throw new CheckoutError("invalid-request", `${JSON.stringify(sha)} is not a full commit id: give all 40 hex digits`);
  }
  return lower;
}
