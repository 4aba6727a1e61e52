import type { InstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";

/** The planner's two lists of Python names ("3.12", "pypy3.11"). */
export interface PlanningPythons {
  /** What a cell may ask for: images this installation has or adds on first need, and every live runner's. Empty: no cell is left out for its Python. */
  available: string[];
  /** Of those, what has an image already: what a repository naming no Python gets (remote runners' count as such). */
  installed: string[];
}

/** Options for {@link listPlanningPythons}. */
export interface ListPlanningPythonsOptions {
  /** This host's Pythons (listInstallationPythons); undefined when this host runs no cells. */
  local?: () => Promise<InstallationPythons>;
  /** PONYCI_RUNNER_PYTHONS: replaces what this host would find, in both lists. */
  override?: readonly string[];
  /** The Pythons each live remote runner advertises. */
  runners?: () => Promise<readonly (readonly string[])[]>;
  /** An operator's image template (PONYCI_BASE_IMAGE other than "auto") has every version: with no runners, nothing is left out. */
  anyVersion?: boolean;
}

/**
 * The one answer to "which Pythons does this installation have", for the
 * server's planning, `ponyci run` and `ponyci runner`: this host's images
 * and those it can add (or PONYCI_RUNNER_PYTHONS instead), with every live
 * runner's advertised names. A failing listing counts as none.
 */
export async function listPlanningPythons(options: ListPlanningPythonsOptions): Promise<PlanningPythons> {
  if (options.anyVersion && !options.runners) return { available: [], installed: [] };
  const available = new Set<string>(options.override ?? []);
  const installed = new Set<string>(options.override ?? []);
  if (options.local && !options.override) {
    const local = await options.local().catch(() => undefined);
    for (const name of local?.versions ?? []) available.add(name);
    for (const image of local?.installed ?? []) installed.add(image.name);
  }
  for (const names of (await options.runners?.().catch(() => [])) ?? []) {
    for (const name of names) {
      available.add(name);
      installed.add(name);
    }
  }
  return { available: [...available], installed: [...installed] };
}
