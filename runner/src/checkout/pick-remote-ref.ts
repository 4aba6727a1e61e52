/**
 * The commit `ref` names in `git ls-remote` output (`<sha>\t<ref>` lines). A
 * full name (`refs/…`, `HEAD`) must match exactly; a short one is looked up as a
 * branch, then as a tag. An annotated tag resolves to its peeled commit (`^{}`).
 * Returns undefined when nothing matches.
 */
export function pickRemoteRef(lsRemoteOutput: string, ref: string): string | undefined {
  const refs = new Map<string, string>();
  for (const line of lsRemoteOutput.split("\n")) {
    const [sha, name] = line.trim().split("\t");
    if (sha && name) refs.set(name, sha);
  }
  const candidates = ref.startsWith("refs/") || ref === "HEAD" ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  for (const name of candidates) {
    const sha = refs.get(`${name}^{}`) ?? refs.get(name);
    if (sha !== undefined) return sha;
  }
  return undefined;
}
