import type { SendResult } from "./outbox.js";

type HeaderBag = { get(name: string): string | null } | Record<string, string | number | undefined>;

/** Wait this long on a rate limit that does not say for how long (GitHub's advice for secondary limits). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * Decides what a failed GitHub write means for the outbox. Takes a thrown
 * error (Octokit's `RequestError`: `status`, `response.headers`; or a network
 * error without status) or an HTTP response (`status`, `headers`).
 *
 * - no status (network error), 408, 5xx: retry (honouring `retry-after`).
 * - 429, and 403 that is a rate limit (`retry-after`, `x-ratelimit-remaining: 0`
 *   or a "rate limit" message): retry after `retry-after`, else at
 *   `x-ratelimit-reset`, else in a minute.
 * - any other status (403 permissions, 404, 422 validation…): rejected.
 * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
 */
export function classifyHttpFailure(failure: unknown, now = Date.now()): SendResult {
  const object = (typeof failure === "object" && failure !== null ? failure : {}) as {
    status?: unknown;
    message?: unknown;
    headers?: HeaderBag;
    response?: { headers?: HeaderBag };
  };
  const status = typeof object.status === "number" ? object.status : undefined;
  const message = typeof object.message === "string" ? object.message : String(failure);
  const headers = object.response?.headers ?? object.headers ?? {};
  const header = (name: string): string | undefined => {
    const value = typeof headers.get === "function" ? (headers as { get(n: string): string | null }).get(name) : (headers as Record<string, unknown>)[name];
    return value === null || value === undefined ? undefined : String(value);
  };
  const retryAfterMs = readRetryAfter(header("retry-after"), now);

  if (status === undefined) return { status: "retry", reason: `network error: ${message}` };
  const reason = `HTTP ${status}: ${message}`;
  if (status === 408 || status >= 500) return withWait({ status: "retry", reason }, retryAfterMs);
  const rateLimited =
    status === 429 ||
    (status === 403 && (retryAfterMs !== undefined || header("x-ratelimit-remaining") === "0" || /rate limit/i.test(message)));
  if (rateLimited) {
    const resetAt = Number(header("x-ratelimit-reset"));
    const untilReset = header("x-ratelimit-remaining") === "0" && resetAt > 0 ? Math.max(0, resetAt * 1000 - now) : undefined;
    return { status: "retry", reason: `rate limited (${reason})`, retryAfterMs: retryAfterMs ?? untilReset ?? DEFAULT_RATE_LIMIT_WAIT_MS };
  }
  return { status: "rejected", reason };
}

function withWait(result: SendResult & { status: "retry" }, retryAfterMs: number | undefined): SendResult {
  return retryAfterMs === undefined ? result : { ...result, retryAfterMs };
}

/** `retry-after` is seconds, or an HTTP date. */
function readRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
