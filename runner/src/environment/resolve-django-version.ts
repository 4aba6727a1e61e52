import { classifyPipFailure } from "./classify-pip-failure.js";
import type { DjangoVersionCache } from "./django-version-cache.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { parseDjangoSpec, pickDjangoVersion } from "./pick-django-version.js";
import type { PipRunner } from "./run-pip.js";
import type { Logger } from "../../../src/domain/logger.js";
import { pythonLanguageVersion } from "../../../src/domain/python-name.js";
import { listWheelReleases } from "../../../src/domain/pick-django-release.js";
import { createProjectPageMemo, type ProjectPage } from "./create-project-page-memo.js";
import type { HostPython } from "../../../src/domain/host-python.js";

/**
 * Django's versions with a wheel for a Python, from the operator's index in
 * PEP 691 JSON (scratch space under `tmpDir`), or from `pages` (a
 * createProjectPageMemo the builder shares with its Django-first fetch).
 */
export function createIndexDjangoVersions(options: { host: HostPython; tmpDir: string; pages?: (project: string) => Promise<ProjectPage | undefined> }): (python: string) => Promise<string[] | undefined> {
  const pages = options.pages ?? createProjectPageMemo({ host: options.host, tmpDir: options.tmpDir, ttlMs: 0 });
  return async (python) => {
    const page = await pages("django");
    // The choice is the app's too (its Django support table): one copy, in the domain.
    return page ? listWheelReleases(page.files, python) : undefined;
  };
}

export interface ResolveDjangoVersionOptions {
  runPip: PipRunner;
  /**
   * Django's versions with a wheel for a Python, newest first (undefined:
   * the index has no Django), read from the index's JSON (createIndexDjangoVersions)
   * without starting pip. When it throws, `pip index versions` answers
   * instead, which also decides whether the index is unreachable.
   */
  listVersions?: (python: string) => Promise<string[] | undefined>;
  cache: DjangoVersionCache;
  log: Logger;
  signal?: AbortSignal;
  onLine?: (line: string) => void;
}

/**
 * "4.2" → the newest 4.2.x that supports `cellPython` ("3.12", or "pypy3.11": its
 * language version) (from the cache while it is
 * fresh, else the index's JSON through `listVersions`, else `pip index
 * versions` on the host); "4.2.16" → itself, no lookup.
 * When the index cannot be reached, a stale cached answer is used (with a
 * warning). Throws EnvironmentError "project" for a version that does not
 * exist or does not support the cell's Python.
 */
export async function resolveDjangoVersion(cellPython: string, django: string, options: ResolveDjangoVersionOptions): Promise<string> {
  // Django's Requires-Python speaks of the language: PyPy 3.11 gets what Python 3.11 gets.
  const python = pythonLanguageVersion(cellPython);
  const spec = parseDjangoSpec(django);
  if (spec.type === "invalid") {
    throw new EnvironmentError("project", `Django version "${django}" is not understood: write a series such as "4.2" or an exact release such as "4.2.16".`);
  }
  if (spec.type === "exact") return spec.version;
  const { series } = spec;
  const pick = async (versions: string[]): Promise<string> => {
    const version = pickDjangoVersion(series, versions);
    if (!version) {
      const newest = versions[0] ? ` (the newest release for Python ${python} is ${versions[0]})` : "";
      throw new EnvironmentError("project", `Django ${django} has no release that supports Python ${python}${newest}: change the matrix.`);
    }
    await options.cache.set(python, series, version);
    return version;
  };
  const cached = await options.cache.get(python, series);
  if (cached) return cached;
  if (options.listVersions) {
    let listed: string[] | undefined;
    try {
      listed = (await options.listVersions(python)) ?? [];
    } catch (error) {
      if (options.signal?.aborted) throw error;
      options.log.info({ err: error, python }, "the index's JSON did not answer for Django; asking pip");
    }
    if (listed) return pick(listed);
  }
  const result = await options.runPip(["index", "versions", "django", "--pre", "--python-version", python, "--only-binary=:all:"], {
    signal: options.signal,
    onLine: options.onLine,
  });
  if (result.exitCode !== 0) {
    const failure = classifyPipFailure(result.lines, { python });
    if (failure.kind === "infrastructure") {
      const stale = await options.cache.get(python, series, { stale: true });
      if (stale) {
        options.log.warn({ python, django, stale }, "could not reach the index to resolve Django; using the last known version");
        return stale;
      }
      throw new EnvironmentError("infrastructure", `Could not resolve Django ${django}: ${failure.message}`);
    }
    throw new EnvironmentError("project", `No Django release supports Python ${python}: ${failure.message}`);
  }
  const listed = result.lines.map((l) => /^Available versions:\s*(.*)$/.exec(l.trim())?.[1]).find((v) => v !== undefined);
  return pick((listed ?? "").split(",").map((v) => v.trim()).filter(Boolean));
}
