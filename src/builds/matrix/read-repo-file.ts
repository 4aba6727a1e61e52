/**
 * Read a file of the repository at the commit being built, by path relative
 * to the repository root; undefined when there is no such file. Planning
 * functions take this instead of touching git or the file system.
 */
export type ReadRepoFile = (path: string) => string | undefined;
