import { describe, expect, it } from "@jest/globals";
import { createSignInLimiter } from "../../src/web/create-sign-in-limiter.js";

describe("createSignInLimiter", () => {
  it("blocks a name after its failures, case-insensitively, and forgets them on success", async () => {
    const limiter = createSignInLimiter({ perName: 3, perServer: 100, windowSec: 60 });
    for (let i = 0; i < 2; i++) await limiter.failed("Alice");
    expect(await limiter.blockedFor("alice")).toBe(0);
    await limiter.succeeded("alice");
    for (let i = 0; i < 2; i++) await limiter.failed("alice");
    expect(await limiter.blockedFor("alice")).toBe(0);
    await limiter.failed(" ALICE ");
    const wait = await limiter.blockedFor("alice");
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await limiter.blockedFor("bob")).toBe(0);
  });

  it("blocks every name once the whole server has had too many failures (each costs an scrypt)", async () => {
    const limiter = createSignInLimiter({ perName: 100, perServer: 5, windowSec: 60 });
    for (let i = 0; i < 5; i++) await limiter.failed(`user-${i}`);
    expect(await limiter.blockedFor("someone-else")).toBeGreaterThan(0);
  });
});
