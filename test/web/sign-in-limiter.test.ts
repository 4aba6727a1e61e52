import { describe, expect, it } from "@jest/globals";
import { createSignInLimiter } from "../../src/web/create-sign-in-limiter.js";

const from = (name: string, client = "10.0.0.1", device?: string) => ({ name, client, device });

describe("createSignInLimiter", () => {
  it("blocks a name after its failures, case-insensitively, and forgets them on success", async () => {
    const limiter = createSignInLimiter({ perName: 3, perClient: 100, windowSec: 60 });
    for (let i = 0; i < 2; i++) await limiter.failed(from("Alice"));
    expect(await limiter.blockedFor(from("alice"))).toBe(0);
    await limiter.succeeded(from("alice"));
    for (let i = 0; i < 2; i++) await limiter.failed(from("alice"));
    expect(await limiter.blockedFor(from("alice"))).toBe(0);
    await limiter.failed(from(" ALICE "));
    const wait = await limiter.blockedFor(from("alice", "10.0.0.2"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await limiter.blockedFor(from("bob"))).toBe(0);
  });

  it("blocks a client that tried too many names, and nobody else", async () => {
    const limiter = createSignInLimiter({ perName: 100, perClient: 5, windowSec: 60 });
    for (let i = 0; i < 5; i++) await limiter.failed(from(`user-${i}`, "10.6.6.6"));
    expect(await limiter.blockedFor(from("someone-else", "10.6.6.6"))).toBeGreaterThan(0);
    expect(await limiter.blockedFor(from("someone-else", "10.0.0.9"))).toBe(0);
  });

  it("lets a browser that signed in as the name before (device cookie) in whatever strangers did, limited by its own failures", async () => {
    const limiter = createSignInLimiter({ perName: 3, perClient: 3, perDevice: 2, windowSec: 60 });
    for (let i = 0; i < 10; i++) await limiter.failed(from("alice", "10.6.6.6"));
    expect(await limiter.blockedFor(from("alice", "10.6.6.6"))).toBeGreaterThan(0);
    expect(await limiter.blockedFor(from("alice", "10.6.6.6", "device-1"))).toBe(0);
    for (let i = 0; i < 2; i++) await limiter.failed(from("alice", "10.6.6.6", "device-1"));
    expect(await limiter.blockedFor(from("alice", "10.6.6.6", "device-1"))).toBeGreaterThan(0);
    expect(await limiter.blockedFor(from("alice", "10.6.6.6", "device-2"))).toBe(0);
  });
});
