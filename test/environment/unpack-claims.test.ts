import { describe, expect, it } from "@jest/globals";
import { createUnpackClaims } from "../../runner/src/environment/create-unpack-claims.js";

/** A run whose unpack ends when the test says so, recording when it started. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("unpack claims (issue 28: one build unpacks a wheel, the others link it)", () => {
  it("a run with a wheel another run is unpacking waits for it; a run with other wheels does not", async () => {
    const claims = createUnpackClaims();
    const events: string[] = [];
    const first = gate();
    const a = claims.run(["django.whl", "pytest.whl"], async () => (events.push("a starts"), await first.opened, events.push("a ends")));
    const b = claims.run(["django.whl"], async () => void events.push("b starts"));
    const c = claims.run(["faker.whl"], async () => void events.push("c starts"));
    await c;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(["a starts", "c starts"]);
    first.open();
    await Promise.all([a, b]);
    expect(events).toEqual(["a starts", "c starts", "a ends", "b starts"]);
  });

  it("waits only for claims made before its own: two runs never wait for each other", async () => {
    const claims = createUnpackClaims();
    const order: string[] = [];
    const first = gate();
    // a claims x; b claims y and waits for a (x); a later run for x and y waits for both, and a never waits for b.
    const a = claims.run(["x"], async () => (order.push("a"), await first.opened));
    const b = claims.run(["x", "y"], async () => void order.push("b"));
    const c = claims.run(["y", "x"], async () => void order.push("c"));
    first.open();
    await Promise.all([a, b, c]);
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("a claim ends with its run, however it ended; the wait is bounded and a cancel stops it", async () => {
    const claims = createUnpackClaims({ maxWaitMs: 50 });
    await expect(claims.run(["x"], async () => Promise.reject(new Error("unpack failed")))).rejects.toThrow("unpack failed");
    // x is free again: no wait.
    const t0 = Date.now();
    await claims.run(["x"], async () => undefined);
    expect(Date.now() - t0).toBeLessThan(40);
    // A run that never ends holds y, but the next run for y goes ahead after maxWaitMs.
    const never = gate();
    void claims.run(["y"], () => never.opened);
    let ran = false;
    await claims.run(["y"], async () => void (ran = true));
    expect(ran).toBe(true);
    // An abort ends the wait at once, whatever maxWaitMs says.
    const long = createUnpackClaims({ maxWaitMs: 60_000 });
    void long.run(["z"], () => never.opened);
    const abort = new AbortController();
    const waiting = long.run(["z"], async () => "ran", { signal: abort.signal });
    abort.abort();
    expect(await waiting).toBe("ran");
    never.open();
  });
});
