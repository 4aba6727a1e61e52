import type { IgnoredRef } from "./decide-ref-builds.js";

/**
 * The one line the hook prints after "Pony CI: ": "build #12 queued",
 * "builds #12, #13 queued", "not queued: branch x deleted", with ignored refs
 * after the queued builds. Pure.
 */
export function describePushOutcome(builds: readonly { id: number }[], ignored: readonly IgnoredRef[]): string {
  const reasons = ignored.map((item) => item.reason).join("; ");
  if (builds.length === 0) return `not queued: ${reasons || "nothing to build"}`;
  const ids = builds.map((build) => `#${build.id}`).join(", ");
  const queued = `${builds.length === 1 ? "build" : "builds"} ${ids} queued`;
  return reasons ? `${queued} (not built: ${reasons})` : queued;
}
