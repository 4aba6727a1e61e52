/**
 * Who unpacks which wheel into the environment store, among the builds of
 * one builder (issue 28). Unpacking is file creation (sys time: ~4 core-s
 * for Django with a test stack here), and concurrent builds of one matrix
 * share most wheels: when two uv installs unpack the same wheel at once,
 * both do all the work and one copy is thrown away. Instead, a build first
 * waits for the builds already unpacking any of its wheels, then its uv
 * finds them in the store and only links them (~0.5 core-s). Waiting is
 * bounded: nothing here decides what is installed, only when.
 *
 * Used for the early unpack of Django (buildNewEnvironment's djangoFirst),
 * which runs while uv resolves, so a wait there is mostly off the critical
 * path. Not for the install after resolve: a build waiting for another
 * build's whole install serialised the matrix (3 cold builds here: 7.7–10.3
 * s instead of 4.9–7.0 s), as uv takes a set of wheels, not one at a time.
 */
export interface UnpackClaims {
  /**
   * Claim `files` no earlier run claimed, wait (at most `maxWaitMs`) for the
   * runs that claimed the others, then run `unpack`; the claims end with
   * it. A run waits only for claims made before its own, so runs never
   * wait for each other in a circle.
   */
  run<T>(files: readonly string[], unpack: () => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
}

export const DEFAULT_UNPACK_WAIT_MS = 120_000;

export function createUnpackClaims(options: { maxWaitMs?: number } = {}): UnpackClaims {
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_UNPACK_WAIT_MS;
  const claims = new Map<string, Promise<void>>();
  return {
    async run(files, unpack, { signal } = {}) {
      const earlier = new Set<Promise<void>>();
      const mine: string[] = [];
      for (const file of new Set(files)) {
        const claim = claims.get(file);
        if (claim) earlier.add(claim);
        else mine.push(file);
      }
      let release: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (release = resolve));
      for (const file of mine) claims.set(file, done);
      try {
        if (earlier.size > 0) await waitBounded(Promise.all(earlier), maxWaitMs, signal);
        return await unpack();
      } finally {
        for (const file of mine) if (claims.get(file) === done) claims.delete(file);
        release();
      }
    },
  };
}

/** Resolves when `work` settles, `ms` passed or `signal` aborts, whichever comes first (never rejects). */
async function waitBounded(work: Promise<unknown>, ms: number, signal?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      work.then(() => undefined, () => undefined),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        onAbort = resolve;
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
