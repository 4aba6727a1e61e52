import picomatch from "picomatch";

/**
 * How `branches:` entries are read (picomatch): `*` and `?` stay within one
 * path segment, `**` crosses `/`, `[abc]`/`[!abc]` are classes (`posix`:
 * picomatch reads `[!…]` as a negated class only then), `{a,b}` are
 * alternatives. A leading `!` is not a negation and `+(…)`-style extglobs are
 * not patterns: branch names may hold those characters.
 */
const GLOB_OPTIONS: picomatch.PicomatchOptions = { nonegate: true, noextglob: true, posix: true };

/** True when a `branches:` entry is a plain branch name, no pattern. */
export function isLiteralBranch(pattern: string): boolean {
  return !picomatch.scan(pattern, GLOB_OPTIONS).isGlob;
}

/**
 * Whether `branch` (without `refs/heads/`) is one of `patterns`. No patterns
 * (undefined) means every branch. Pure.
 */
export function matchBranch(patterns: readonly string[] | undefined, branch: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((pattern) => picomatch.isMatch(branch, pattern, GLOB_OPTIONS));
}
