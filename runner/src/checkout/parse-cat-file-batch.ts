/** One answer of `git cat-file --batch`: the object's type and bytes, or nothing when it is missing. */
export type CatFileAnswer = { type: string; content: Buffer } | undefined;

/**
 * Splits the output of `git cat-file --batch` for `count` requests into answers,
 * in request order. Each answer is `<oid> <type> <size>\n<bytes>\n`, or
 * `<name> missing\n` / `<name> ambiguous\n`.
 * @throws Error when the output is cut short or malformed
 */
export function parseCatFileBatch(output: Buffer, count: number): CatFileAnswer[] {
  const answers: CatFileAnswer[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = output.indexOf(0x0a, at);
    if (end < 0) throw new Error(`git cat-file --batch output ends after ${i} of ${count} answers`);
    const header = output.subarray(at, end).toString("utf8");
    at = end + 1;
    const match = /^[0-9a-f]+ (\S+) (\d+)$/.exec(header);
    if (!match) {
      if (/ (missing|ambiguous)$/.test(header)) {
        answers.push(undefined);
        continue;
      }
      throw new Error(`unexpected git cat-file --batch header ${JSON.stringify(header)}`);
    }
    const size = Number(match[2]);
    if (at + size + 1 > output.length) throw new Error(`git cat-file --batch output cut short inside answer ${i + 1}`);
    answers.push({ type: match[1] ?? "", content: output.subarray(at, at + size) });
    at += size + 1;
  }
  return answers;
}
