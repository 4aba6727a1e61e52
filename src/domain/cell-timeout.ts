/**
 * Seconds a cell may run when nothing says otherwise: the installation's
 * default for PONYCI_CELL_TIMEOUT and a repository's default `timeout:`
 * (docs/repo-config.md, .env.example).
 */
export const defaultCellTimeoutSeconds = 1200;
