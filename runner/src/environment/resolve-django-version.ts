import { classifyPipFailure } from "./classify-pip-failure.js";
import type { DjangoVersionCache } from "./django-version-cache.js";
import { EnvironmentError } from "./environment-error.js";
import { parseDjangoSpec, pickDjangoVersion } from "./pick-django-version.js";
import type { PipRunner } from "./run-pip.js";
import type { Logger } from "../../../src/domain/logger.js";

export interface ResolveDjangoVersionOptions {
  runPip: PipRunner;
  cache: DjangoVersionCache;
  log: Logger;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * "4.2" → the newest 4.2.x that supports `python` (from the cache while it is
 * fresh, else `pip index versions` on the host); "4.2.16" → itself, no lookup.
 * When the index cannot be reached, a stale cached answer is used (with a
 * warning). Throws EnvironmentError "project" for a version that does not
 * exist or does not support the cell's Python.
 */
export async function resolveDjangoVersion(python: string, django: string, options: ResolveDjangoVersionOptions): Promise<string> {
  const spec = parseDjangoSpec(django);
  if (spec.type === "invalid") {
    throw new EnvironmentError("project", `Django version "${django}" is not understood: write a series such as "4.2" or an exact release such as "4.2.16".`);
  }
  if (spec.type === "exact") return spec.version;
  const cached = await options.cache.get(python, spec.series);
  if (cached) return cached;
  const result = await options.runPip(["index", "versions", "django", "--pre", "--python-version", python, "--only-binary=:all:"], {
    signal: options.signal,
    onLine: options.onLine,
  });
  if (result.exitCode !== 0) {
    const failure = classifyPipFailure(result.lines, { python });
    if (failure.kind === "infrastructure") {
      const stale = await options.cache.get(python, spec.series, { stale: true });
      if (stale) {
        options.log.warn({ python, django, stale }, "could not reach the index to resolve Django; using the last known version");
        return stale;
      }
      throw new EnvironmentError("infrastructure", `Could not resolve Django ${django}: ${failure.message}`);
    }
    throw new EnvironmentError("project", `No Django release supports Python ${python}: ${failure.message}`);
  }
  const listed = result.lines.map((l) => /^Available versions:\s*(.*)$/.exec(l.trim())?.[1]).find((v) => v !== undefined);
  const versions = (listed ?? "").split(",").map((v) => v.trim()).filter(Boolean);
  const version = pickDjangoVersion(spec.series, versions);
  if (!version) {
    const newest = versions[0] ? ` (the newest release for Python ${python} is ${versions[0]})` : "";
    throw new EnvironmentError("project", `Django ${django} has no release that supports Python ${python}${newest}: change the matrix.`);
  }
  await options.cache.set(python, spec.series, version);
  return version;
}
