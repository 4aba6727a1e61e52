/** The phases of an environment build, in order ("compile": the background byte-compile of a uv environment, after the cell has it). */
export type EnvironmentPhase = "resolve" | "download" | "install" | "compile";

/** How requirements were resolved and fetched: uv (default), or host pip (fallback, sdists). */
export type Resolver = "uv" | "pip";

/**
 * What environment builds report, for /metrics (Prometheus counters and
 * histograms the server wires; nothing here knows prom-client). Every
 * callback is optional, synchronous and must not throw (a throw is
 * swallowed: metrics never fail a build).
 */
export interface EnvironmentMetrics {
  /** One phase of one build took `seconds`. pip resolves and downloads in one go: reported as "download". */
  phase?(event: { phase: EnvironmentPhase; resolver: Resolver; seconds: number }): void;
  /** One ensure() answered: the image existed ("cached"), was built, or the build failed. */
  ensured?(event: { outcome: "cached" | "built" | "failed"; resolver: Resolver; seconds: number }): void;
  /** Wheels a build needed: how many were downloaded and how many the cache had. */
  wheels?(event: { downloaded: number; cached: number }): void;
}

/** Calls a metrics callback, swallowing what it throws. */
export function report<K extends keyof EnvironmentMetrics>(metrics: EnvironmentMetrics | undefined, name: K, event: Parameters<NonNullable<EnvironmentMetrics[K]>>[0]): void {
  try {
    (metrics?.[name] as ((e: typeof event) => void) | undefined)?.(event);
  } catch {
    // metrics never fail a build
  }
}
