import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/** Failed password sign-ins allowed in WINDOW_SEC: per account name (from untrusted browsers), per client address, per trusted browser. */
const FAILURES_PER_NAME = 10;
const FAILURES_PER_CLIENT = 300;
const FAILURES_PER_DEVICE = 10;
const WINDOW_SEC = 15 * 60;

/** Who tries: the name typed, the client's address, and the device cookie's id when the browser holds a valid one for that name. */
export interface SignInAttempt {
  name: string;
  client: string;
  /** Set when this browser signed in as `name` before (OWASP "device cookies"): it is limited on its own. */
  device?: string;
}

export interface SignInLimiter {
  /** Seconds until this attempt may be tried, or 0 when it may now. Costs no password check. */
  blockedFor(attempt: SignInAttempt): Promise<number>;
  /** A wrong name or password. */
  failed(attempt: SignInAttempt): Promise<void>;
  /** A right one: the failures of the name and of the device are forgotten. */
  succeeded(attempt: SignInAttempt): Promise<void>;
}

/**
 * Brute-force bounds on password sign-in that nobody can turn into a
 * lock-out of a real user (rate-limiter-flexible, in this process's memory):
 * - a browser that signed in as the name before (a valid device cookie) is
 *   limited only by its own failures: neither guesses at the name from
 *   elsewhere nor a flood from its address locks it out;
 * - any other attempt: per name (guessing one user's password stops after
 *   FAILURES_PER_NAME tries; names that do not exist count the same, so the
 *   answer does not tell which exist) and per client address (a flood of
 *   made-up names stops that client, nobody else).
 * There is no limit for the whole server: made-up names must not lock real
 * users out, and the password check (async scrypt) runs off the event loop.
 */
export function createSignInLimiter(options: { perName?: number; perClient?: number; perDevice?: number; windowSec?: number } = {}): SignInLimiter {
  const duration = options.windowSec ?? WINDOW_SEC;
  const perName = new RateLimiterMemory({ keyPrefix: "name", points: options.perName ?? FAILURES_PER_NAME, duration });
  const perClient = new RateLimiterMemory({ keyPrefix: "client", points: options.perClient ?? FAILURES_PER_CLIENT, duration });
  const perDevice = new RateLimiterMemory({ keyPrefix: "device", points: options.perDevice ?? FAILURES_PER_DEVICE, duration });
  const nameKey = (name: string) => name.trim().toLowerCase().slice(0, 128);
  const left = (res: RateLimiterRes | null) => (res && res.remainingPoints <= 0 ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0);
  return {
    async blockedFor(attempt) {
      if (attempt.device) return left(await perDevice.get(attempt.device));
      const [one, client] = await Promise.all([perName.get(nameKey(attempt.name)), perClient.get(attempt.client)]);
      return Math.max(left(one), left(client));
    },
    async failed(attempt) {
      // consume() rejects once the points are spent: that is the state blockedFor reports, not an error here.
      if (attempt.device) return void (await perDevice.consume(attempt.device).catch(() => undefined));
      await Promise.all([perName.consume(nameKey(attempt.name)).catch(() => undefined), perClient.consume(attempt.client).catch(() => undefined)]);
    },
    async succeeded(attempt) {
      await perName.delete(nameKey(attempt.name));
      if (attempt.device) await perDevice.delete(attempt.device);
    },
  };
}
