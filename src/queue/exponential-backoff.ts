export interface ExponentialBackoffOptions {
  /** Delay before the first retry (before jitter). Default 1000. */
  baseMs?: number;
  /** Upper bound of any delay. Default 5 minutes. */
  maxMs?: number;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
}

/** Delay before retry number `attempt` (1 = the first retry), in ms. */
export type Backoff = (attempt: number) => number;

/**
 * Exponential backoff with "equal jitter": half the exponential delay, plus a
 * random part up to the other half, so retries of many writers spread out yet
 * never come back immediately.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): Backoff {
  const baseMs = options.baseMs ?? 1_000;
  const maxMs = options.maxMs ?? 5 * 60_000;
  const random = options.random ?? Math.random;
  return (attempt) => {
    const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(exponential / 2 + random() * (exponential / 2));
  };
}
