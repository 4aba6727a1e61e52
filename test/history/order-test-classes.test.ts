import { describe, expect, it } from "@jest/globals";
import { MAX_ORDERED_CLASSES, orderTestClasses, testClassOf } from "../../src/history/order-test-classes.js";

describe("testClassOf", () => {
  it.each([
    ["app.tests.SlowTests.test_x", "app.tests.SlowTests"],
    ["app.tests.SlowTests.test_x [case=1, n=2]", "app.tests.SlowTests"],
    ["setUpClass (app.tests.SlowTests)", "app.tests.SlowTests"],
    ["unittest.loader._FailedTest.app.tests", "unittest.loader._FailedTest.app"],
    ["tests/test_a.py::TestThing::test_x[1-2]", "tests/test_a.py::TestThing"],
    ["tests/test_a.py::test_x", "tests/test_a.py"],
    ["tests/test_a.py", "tests/test_a.py"],
  ])("%s → %s", (id, cls) => expect(testClassOf(id)).toBe(cls));
});

describe("orderTestClasses", () => {
  it("sums each class's tests and puts the longest first, ties by name; bad durations count as nothing", () => {
    expect(
      orderTestClasses([
        { id: "a.B.t1", durationMs: 10 },
        { id: "a.A.t1", durationMs: 30 },
        { id: "a.B.t2", durationMs: 30 },
        { id: "a.C.t1", durationMs: Number.NaN },
        { id: "a.D.t1", durationMs: -5 },
        { id: "a.A.t2", durationMs: 5 },
      ]),
    ).toEqual(["a.B", "a.A", "a.C", "a.D"]);
  });

  it("is bounded", () => {
    const many = Array.from({ length: MAX_ORDERED_CLASSES + 10 }, (_, i) => ({ id: `m.C${i}.t`, durationMs: i }));
    const order = orderTestClasses(many);
    expect(order).toHaveLength(MAX_ORDERED_CLASSES);
    expect(order[0]).toBe(`m.C${MAX_ORDERED_CLASSES + 9}`);
  });
});
