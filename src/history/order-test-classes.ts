/** Classes sent to a cell's workers at most (the harness reads no more). */
export const MAX_ORDERED_CLASSES = 5000;

/**
 * The unit a cell's suite is split by (issue 28): the class a test id
 * belongs to, which must stay in one process. Django "app.tests.C.test_x" →
 * "app.tests.C" (a subtest's " [params]" suffix dropped; "setUpClass
 * (app.tests.C)" → "app.tests.C"); pytest "tests/test_a.py::C::test_x" →
 * "tests/test_a.py::C", "tests/test_a.py::test_x" → "tests/test_a.py". Pure.
 */
export function testClassOf(testId: string): string {
  const id = testId.replace(/ \[.*$/s, "");
  const fixture = /^\w+ \(([^()]+)\)$/.exec(id);
  if (fixture) return fixture[1]!;
  if (/\.py$/.test(id)) return id; // a pytest module that could not be collected
  if (id.includes("::")) {
    const parts = id.split("::");
    return parts.length > 2 ? parts.slice(0, -1).join("::") : parts[0]!;
  }
  const dot = id.lastIndexOf(".");
  return dot > 0 ? id.slice(0, dot) : id;
}

/**
 * Test classes longest first by the summed durations of their tests in one
 * recorded run (ties by name, so the order is stable): the order a cell's
 * workers take them from the shared queue, longest-processing-time first.
 * At most MAX_ORDERED_CLASSES. Pure.
 */
export function orderTestClasses(results: ReadonlyArray<{ id: string; durationMs: number }>): string[] {
  const totals = new Map<string, number>();
  for (const { id, durationMs } of results) {
    const cls = testClassOf(id);
    totals.set(cls, (totals.get(cls) ?? 0) + (Number.isFinite(durationMs) && durationMs > 0 ? durationMs : 0));
  }
  return [...totals.entries()]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, MAX_ORDERED_CLASSES)
    .map(([cls]) => cls);
}
