/**
 * Django's (unittest's) own measure of a test run, from its output:
 * "Ran 13 tests in 0.052s" → { tests: 13, ms: 52 }. It covers the tests only,
 * not interpreter start-up, system checks or test database creation.
 * Undefined when the line is absent.
 */
export function parseDjangoTestTime(output: string): { tests: number; ms: number } | undefined {
  const match = /^Ran (\d+) tests? in (\d+(?:\.\d+)?)s\s*$/m.exec(output);
  if (!match) return undefined;
  return { tests: Number(match[1]), ms: Number(match[2]) * 1000 };
}
