/**
 * An eviction policy other than noeviction silently drops queued cells: the
 * server refuses allkeys-*, warns about volatile-* and about a Redis whose
 * CONFIG it may not read (an ACL user without +config). Real redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { checkEvictionPolicy, judgeEvictionPolicy } from "../../src/queue/check-eviction-policy.js";
import type { Logger } from "../../src/domain/logger.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startTestServer, testServerSettings } from "../support/github-app-harness.js";

describe("judgeEvictionPolicy", () => {
  it.each([
    ["noeviction", "ok"],
    ["allkeys-lru", "refuse"],
    ["allkeys-lfu", "refuse"],
    ["allkeys-random", "refuse"],
    ["volatile-lru", "warn"],
    ["volatile-ttl", "warn"],
    [undefined, "warn"],
  ])("%s: %s", (policy, action) => {
    expect(judgeEvictionPolicy(policy).action).toBe(action);
  });
});

describe("checkEvictionPolicy on a real Redis", () => {
  let redis: RedisServer;
  let admin: Redis;
  const warnings: string[] = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: (o, m) => void warnings.push(m ?? String(o)), error: () => undefined };
  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin.quit();
    await redis.remove();
  });

  it("passes noeviction, refuses allkeys-lru with the fix, warns about volatile-lru", async () => {
    await admin.config("SET", "maxmemory-policy", "noeviction");
    expect(await checkEvictionPolicy({ url: redis.url, log })).toEqual({ action: "ok" });
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    await expect(checkEvictionPolicy({ url: redis.url, log })).rejects.toThrow(/allkeys-lru.*maxmemory-policy noeviction/);
    await admin.config("SET", "maxmemory-policy", "volatile-lru");
    expect((await checkEvictionPolicy({ url: redis.url, log })).action).toBe("warn");
    expect(warnings.at(-1)).toMatch(/volatile-lru/);
  });

  it("warns, and goes on, when CONFIG is not allowed to its user", async () => {
    await admin.acl("SETUSER", "ponyci", "on", ">s3cret-pass", "~*", "&*", "+@all", "-config");
    const url = redis.url.replace("redis://", "redis://ponyci:s3cret-pass@");
    expect((await checkEvictionPolicy({ url, log })).action).toBe("warn");
    expect(warnings.at(-1)).toMatch(/could not read Redis's maxmemory-policy.*NOPERM/);
  });

  it("ponyci serve does not start on an allkeys-* Redis", async () => {
    await admin.config("SET", "maxmemory-policy", "allkeys-lru");
    try {
      await expect(startTestServer({ settings: testServerSettings({ PONYCI_REDIS_URL: redis.url, PONYCI_LOCAL_RUNNER: "0" }) })).rejects.toThrow(/maxmemory-policy is allkeys-lru/);
    } finally {
      await admin.config("SET", "maxmemory-policy", "noeviction");
    }
  });
});
