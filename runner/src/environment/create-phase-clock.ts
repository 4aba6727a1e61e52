import { report, type EnvironmentMetrics, type EnvironmentPhase, type Resolver } from "../../../src/domain/environment-metrics.js";

/**
 * The steps of one environment build the cell log times: the metrics'
 * phases (resolve, download, install) and the steps around them that
 * /metrics does not count (the base image's interpreter check, the scratch
 * directory, writing the record).
 */
export type BuildStep = EnvironmentPhase | "probe" | "prepare" | "record";

export interface PhaseClock {
  /** One step ended after `ms`. A metrics phase (resolve, download, install) also gets its own "ponyci: <step> 1.2 s (detail)" line and is reported to /metrics; the other steps are only summed. */
  phase(step: BuildStep, ms: number, detail?: string): void;
  /** Time `work` as `step`; a step that throws is still summed (a failed build's summary says where its time went). */
  time<T>(step: BuildStep, work: () => Promise<T>, detail?: (result: T) => string): Promise<T>;
  /** Which resolver the metrics are labelled with (pip once uv has handed over). */
  setResolver(resolver: Resolver): void;
  /** The resolver the metrics are labelled with now. */
  resolver(): Resolver;
  /** "environment: probe 0.0 s, resolve 2.2 s, download 1.7 s, install 4.1 s, record 0.0 s; 8.0 s in all" (steps summed, in order of first use). */
  summary(totalMs: number): string;
}

/**
 * Per-step timings of one build, for the cell log and /metrics (issue 28:
 * every second of a cold cell attributed to a step). Pure bookkeeping: the
 * lines go to `onLine`, the metrics through report(), which never throws.
 */
export function createPhaseClock(options: { onLine?: (line: string) => void; metrics?: EnvironmentMetrics; resolver: Resolver }): PhaseClock {
  let resolver = options.resolver;
  const spent = new Map<BuildStep, number>();
  const clock: PhaseClock = {
    phase(step, ms, detail = "") {
      spent.set(step, (spent.get(step) ?? 0) + ms);
      if (step === "probe" || step === "prepare" || step === "record") return;
      options.onLine?.(`ponyci: ${step} ${seconds(ms)}${detail ? ` (${detail})` : ""}`);
      report(options.metrics, "phase", { phase: step, resolver, seconds: ms / 1000 });
    },
    async time(step, work, detail) {
      const t0 = Date.now();
      let result: Awaited<ReturnType<typeof work>> | undefined;
      let done = false;
      try {
        result = await work();
        done = true;
        return result;
      } finally {
        // A failed step is only summed: its line and metric are a finished step's.
        if (done) clock.phase(step, Date.now() - t0, detail ? detail(result as Awaited<ReturnType<typeof work>>) : "");
        else spent.set(step, (spent.get(step) ?? 0) + Date.now() - t0);
      }
    },
    setResolver(next) {
      resolver = next;
    },
    resolver: () => resolver,
    summary(totalMs) {
      const steps = [...spent].map(([step, ms]) => `${step} ${seconds(ms)}`).join(", ");
      return `environment: ${steps}${steps ? "; " : ""}${seconds(totalMs)} in all`;
    },
  };
  return clock;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
