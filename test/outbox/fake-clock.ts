import type { Clock } from "../../src/domain/clock.js";

export interface FakeClock extends Clock {
  /** Every `sleep` asked for, in ms, in order. */
  readonly sleeps: number[];
}

/**
 * A clock whose time only moves when someone sleeps: whenever the program is
 * otherwise idle (a `setImmediate` turn), it jumps to the earliest timer and
 * fires it. Waits of minutes take no time, and time is exact.
 */
export function createFakeClock(start = 1_700_000_000_000): FakeClock {
  let now = start;
  const timers: { at: number; seq: number; fire: () => void }[] = [];
  const sleeps: number[] = [];
  let seq = 0;
  let scheduled = false;
  const schedule = (): void => {
    if (scheduled || timers.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift();
      if (!next) return;
      now = Math.max(now, next.at);
      next.fire();
      schedule();
    });
  };
  return {
    sleeps,
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        sleeps.push(ms);
        if (signal?.aborted) return resolve();
        const timer = { at: now + Math.max(0, ms), seq: seq++, fire: () => resolve() };
        timers.push(timer);
        signal?.addEventListener(
          "abort",
          () => {
            const index = timers.indexOf(timer);
            if (index >= 0) timers.splice(index, 1);
            resolve();
          },
          { once: true },
        );
        schedule();
      }),
  };
}
