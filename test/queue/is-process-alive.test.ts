import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { hostname } from "node:os";
import { isProcessAlive } from "../../src/domain/is-process-alive.js";
import { isOwnerDead } from "../../src/queue/owner-id.js";

describe("isProcessAlive", () => {
  it("tells live processes from gone ones", async () => {
    const gone = execa("true");
    const pid = gone.pid ?? 0;
    await gone;
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(1)).toBe(true); // init: alive, maybe another user's (EPERM)
    expect(isProcessAlive(pid)).toBe(false);
    expect([0, -1, 1.5, Number.NaN].map(isProcessAlive)).toEqual([false, false, false, false]);
    expect(isOwnerDead(`${hostname()}:${pid}:abcd1234`)).toBe(true);
    expect(isOwnerDead(`${hostname()}:${process.pid}:abcd1234`)).toBe(false);
    expect(isOwnerDead(`elsewhere:${pid}:abcd1234`)).toBe(false);
  });
});
