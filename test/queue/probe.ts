/**
 * Test helpers for asynchronous workers: a log of what happened that a test
 * can wait on (no sleeps), and gates a processor waits behind.
 */
export interface Probe {
  readonly events: string[];
  record(event: string): void;
  /** Resolves once `condition(events)` holds (checked at every record). */
  until(condition: (events: string[]) => boolean, what?: string): Promise<void>;
}

export function createProbe(timeoutMs = 20_000): Probe {
  const events: string[] = [];
  let waiters: { condition: (events: string[]) => boolean; resolve: () => void }[] = [];
  return {
    events,
    record: (event) => {
      events.push(event);
      const ready = waiters.filter((waiter) => waiter.condition(events));
      waiters = waiters.filter((waiter) => !ready.includes(waiter));
      for (const waiter of ready) waiter.resolve();
    },
    until: (condition, what = condition.toString()) => {
      if (condition(events)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`gave up waiting for ${what}; events: ${JSON.stringify(events)}`)),
          timeoutMs,
        );
        waiters.push({ condition, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

export interface Gate {
  wait(): Promise<void>;
  open(): void;
}

export function createGate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}

/** Resolves when `signal` aborts, with its reason. */
export function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener("abort", () => resolve(signal.reason), { once: true });
  });
}
