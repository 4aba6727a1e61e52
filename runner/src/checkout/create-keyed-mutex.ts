/** Runs functions one at a time per key, in call order, within this process. */
export interface KeyedMutex {
  /** Runs `fn` once every earlier call with the same key has settled; resolves or rejects as `fn` does. */
  runExclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** An in-process lock per key: a promise chain that forgets a key once it is idle. */
export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>();
  return {
    runExclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const run = previous.then(fn, fn);
      const tail = run.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return run;
    },
  };
}
