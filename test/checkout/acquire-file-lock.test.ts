import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { mkdir, stat, utimes } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { acquireFileLock } from "../../runner/src/checkout/acquire-file-lock.js";
import { CheckoutError } from "../../src/domain/checkout-error.js";
import { createKeyedMutex } from "../../runner/src/checkout/create-keyed-mutex.js";
import { makeTempDir } from "./git-fixture.js";

describe("acquireFileLock", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it("lets one holder in at a time and the next in after release", async () => {
    const path = join(dir, "m.lock");
    const order: string[] = [];
    const release = await acquireFileLock(path, { pollMs: 10 });
    const waiting = acquireFileLock(path, { pollMs: 10 }).then((next) => {
      order.push("second in");
      return next;
    });
    await new Promise((ok) => setTimeout(ok, 100));
    order.push("first out");
    await release();
    await (await waiting)();
    expect(order).toEqual(["first out", "second in"]);
  });

  it("breaks the lock of a holder that was killed, once it is stale", async () => {
    const path = join(dir, "m.lock");
    // A real holder in another process, killed while it holds the lock: it never releases.
    const lockfile = createRequire(import.meta.url).resolve("proper-lockfile");
    const holder = execa("node", ["-e", `require(${JSON.stringify(lockfile)}).lock(${JSON.stringify(path)}, { lockfilePath: ${JSON.stringify(path)}, realpath: false, stale: 2000 }).then(() => console.log("held")); setInterval(() => {}, 1000);`], { buffer: false });
    await new Promise<void>((ok) => holder.stdout?.once("data", () => ok()));
    holder.kill("SIGKILL");
    await holder.catch(() => undefined);
    const release = await acquireFileLock(path, { pollMs: 50, staleMs: 2000 });
    expect((await stat(path)).isDirectory()).toBe(true);
    await release();
    await expect(stat(path)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("breaks a lock untouched for longer than staleMs (holder on another host)", async () => {
    const path = join(dir, "m.lock");
    await mkdir(path);
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const release = await acquireFileLock(path, { pollMs: 10, staleMs: 30_000 });
    await release();
  });

  it("stops waiting when aborted", async () => {
    const path = join(dir, "m.lock");
    const release = await acquireFileLock(path);
    const controller = new AbortController();
    const waiting = acquireFileLock(path, { pollMs: 10, signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(CheckoutError);
    await release();
  });
});

describe("createKeyedMutex", () => {
  it("runs calls with one key in order, even after a failure, and other keys alongside", async () => {
    const mutex = createKeyedMutex();
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name} start`);
      await new Promise((ok) => setTimeout(ok, ms));
      log.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([mutex.runExclusive("a", step("a1", 40, true)), mutex.runExclusive("a", step("a2", 10)), mutex.runExclusive("b", step("b1", 10))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(log.indexOf("a2 start")).toBeGreaterThan(log.indexOf("a1 end"));
    expect(log.indexOf("b1 start")).toBeLessThan(log.indexOf("a1 end"));
  });
});
