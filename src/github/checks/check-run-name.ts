import { cellName, type Cell } from "../../domain/cell.js";

/** Where a repository's Pony CI configuration lives, by default. */
export const DEFAULT_CONFIG_PATH = ".github/ponyci.yml";

/**
 * Check-run name of one matrix cell: "Python 3.13 · Django 5.2". Stable for a
 * cell, so a re-run replaces the run of the same name in GitHub's UI.
 */
export function checkRunName(cell: Cell): string {
  return cellName(cell);
}

/**
 * Name of the single check run reporting an unusable configuration (no
 * cells could be planned): "Pony CI · .github/ponyci.yml".
 */
export function configErrorCheckRunName(configPath: string = DEFAULT_CONFIG_PATH): string {
  return `Pony CI · ${configPath.replace(/^\.?\/+/, "")}`;
}
