import { CheckoutError } from "../../src/domain/checkout-error.js";

/** The CheckoutError `promise` rejects with; fails when it resolves or throws anything else. */
export async function caughtCheckoutError(promise: Promise<unknown>): Promise<CheckoutError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CheckoutError) return error;
    throw error;
  }
  throw new Error("expected a CheckoutError");
}
