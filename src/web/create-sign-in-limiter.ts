import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/** Failed password sign-ins allowed per account name in WINDOW_SEC, and for the whole server (scrypt is CPU: this bounds it). */
const FAILURES_PER_NAME = 10;
const FAILURES_PER_SERVER = 200;
const WINDOW_SEC = 15 * 60;

export interface SignInLimiter {
  /** Seconds until sign-in for `name` may be tried again, or 0 when it may now. Costs no password check. */
  blockedFor(name: string): Promise<number>;
  /** A wrong name or password for `name`. */
  failed(name: string): Promise<void>;
  /** A right one: the name's failures are forgotten. */
  succeeded(name: string): Promise<void>;
}

/**
 * Brute-force bounds on password sign-in, in this process's memory
 * (rate-limiter-flexible): per account name, so guessing one user's
 * password stops after FAILURES_PER_NAME tries (names that do not exist
 * count the same, so the answer does not tell which exist), and for the
 * whole server, since every try costs an scrypt on the event loop.
 */
export function createSignInLimiter(options: { perName?: number; perServer?: number; windowSec?: number } = {}): SignInLimiter {
  const duration = options.windowSec ?? WINDOW_SEC;
  const perName = new RateLimiterMemory({ keyPrefix: "name", points: options.perName ?? FAILURES_PER_NAME, duration });
  const perServer = new RateLimiterMemory({ keyPrefix: "server", points: options.perServer ?? FAILURES_PER_SERVER, duration });
  const key = (name: string) => name.trim().toLowerCase().slice(0, 128);
  const left = (res: RateLimiterRes | null) => (res && res.remainingPoints <= 0 ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0);
  return {
    async blockedFor(name) {
      const [one, all] = await Promise.all([perName.get(key(name)), perServer.get("all")]);
      return Math.max(left(one), left(all));
    },
    async failed(name) {
      // consume() rejects once the points are spent: that is the state blockedFor reports, not an error here.
      await Promise.all([perName.consume(key(name)).catch(() => undefined), perServer.consume("all").catch(() => undefined)]);
    },
    async succeeded(name) {
      await perName.delete(key(name));
    },
  };
}
