/** Characters that make a `branches:` entry a pattern rather than a branch name. */
const GLOB_CHARS = /[*?[]/;

/** True when a `branches:` entry is a plain branch name (no `*`, `?` or `[`). */
export function isLiteralBranch(pattern: string): boolean {
  return !GLOB_CHARS.test(pattern);
}

/**
 * Whether `branch` (without `refs/heads/`) is one of `patterns`. Globs: `*`
 * and `?` stay within one path segment, `**` crosses `/`, `[abc]` is a class.
 * No patterns (undefined) means every branch. Pure.
 */
export function matchBranch(patterns: readonly string[] | undefined, branch: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((pattern) => globToRegExp(pattern).test(branch));
}

function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) {
        source += "\\[";
      } else {
        source += `[${pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else {
      source += char.replace(/[.+^${}()|\\\]]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
