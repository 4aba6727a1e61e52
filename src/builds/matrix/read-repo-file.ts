/**
 * Read a file of the repository at the commit being built, by path relative
 * to the repository root; undefined when there is no such file. Planning
 * functions take this instead of touching git or the file system.
 * A path ending in `/` reads a directory as a listing: the names of the
 * files directly in it, one per line (undefined when there is no such
 * directory).
 */
export type ReadRepoFile = (path: string) => string | undefined;
