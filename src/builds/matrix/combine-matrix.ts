/** One job's values, as GitHub Actions would build it. */
export interface Combination {
  values: Record<string, string>;
  /** Index of the `include` entry that created this combination; undefined for one of the cross product. */
  addedBy?: number;
}

/** Options for {@link combineMatrix}. */
export interface CombineMatrixOptions {
  include?: readonly Readonly<Record<string, string>>[];
  exclude?: readonly Readonly<Record<string, string>>[];
}

/**
 * Build the combinations of a matrix exactly as GitHub Actions does
 * (https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/run-job-variations):
 * 1. the cross product of `axes`, first key outermost (no axes: no combinations);
 * 2. `exclude` removes every combination it matches, a partial match being enough;
 * 3. each `include` entry, in order, is merged into every combination of the
 *    cross product whose ORIGINAL values it does not overwrite (values added
 *    by earlier includes may be overwritten); when it fits none, it becomes a
 *    new combination of its own, which later includes never extend.
 */
export function combineMatrix(axes: Readonly<Record<string, readonly string[]>>, options: CombineMatrixOptions = {}): Combination[] {
  const names = Object.keys(axes);
  let product: Record<string, string>[] = names.length === 0 ? [] : [{}];
  for (const name of names) {
    product = product.flatMap((partial) => (axes[name] ?? []).map((value) => ({ ...partial, [name]: value })));
  }
  const kept = product.filter((values) => !(options.exclude ?? []).some((entry) => matchesAll(values, entry)));
  const originals = kept.map((values) => ({ original: { ...values }, combination: { values } as Combination }));
  const added: Combination[] = [];
  (options.include ?? []).forEach((entry, index) => {
    let merged = false;
    for (const { original, combination } of originals) {
      if (Object.entries(entry).every(([key, value]) => !(key in original) || original[key] === value)) {
        Object.assign(combination.values, entry);
        merged = true;
      }
    }
    if (!merged) added.push({ values: { ...entry }, addedBy: index });
  });
  return [...originals.map(({ combination }) => combination), ...added];
}

function matchesAll(values: Readonly<Record<string, string>>, entry: Readonly<Record<string, string>>): boolean {
  return Object.entries(entry).every(([key, value]) => values[key] === value);
}
