import { Redis } from "ioredis";
import type { Logger } from "../domain/logger.js";
import { closeRedis } from "../util/close-redis.js";

export type EvictionVerdict = { action: "ok" } | { action: "warn" | "refuse"; message: string };

/**
 * What Redis's `maxmemory-policy` means for Pony CI's queue, decided purely.
 * `allkeys-*` evicts any key under memory pressure, queued cells and their
 * locks included: refused (BullMQ's own docs require `noeviction`).
 * `volatile-*` evicts only keys with an expiry: the queue survives, but a
 * runner's heartbeat may go and the runner be taken for lost: a warning.
 * `policy` undefined: CONFIG is not allowed (an ACL user without +config, a
 * managed Redis): the check cannot be made, a warning says what to verify.
 */
export function judgeEvictionPolicy(policy: string | undefined, why = ""): EvictionVerdict {
  if (policy === undefined) {
    return { action: "warn", message: `could not read Redis's maxmemory-policy${why ? ` (${why})` : ""}: make sure it is noeviction, or queued cells may be dropped under memory pressure` };
  }
  if (policy === "noeviction") return { action: "ok" };
  if (policy.startsWith("allkeys-")) {
    return { action: "refuse", message: `Redis's maxmemory-policy is ${policy}: under memory pressure it would drop queued cells and their locks. Set \`maxmemory-policy noeviction\` in redis.conf (or CONFIG SET maxmemory-policy noeviction), or give Pony CI a Redis of its own` };
  }
  return { action: "warn", message: `Redis's maxmemory-policy is ${policy}: keys with an expiry (runners' heartbeats) may be evicted and their runners taken for lost; noeviction is what BullMQ needs` };
}

/** Reads the policy (CONFIG GET) on a connection of its own, logs a warning, throws on a refusal. */
export async function checkEvictionPolicy(options: { url: string; log: Logger }): Promise<EvictionVerdict> {
  const client = new Redis(options.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on("error", () => undefined); // the command's rejection says it
  let verdict: EvictionVerdict;
  try {
    await client.connect();
    const reply = (await client.config("GET", "maxmemory-policy")) as string[];
    verdict = judgeEvictionPolicy(reply[1]);
  } catch (error) {
    verdict = judgeEvictionPolicy(undefined, error instanceof Error ? error.message : String(error));
  } finally {
    await closeRedis(client);
  }
  if (verdict.action === "warn") options.log.warn(verdict.message);
  if (verdict.action === "refuse") throw new Error(verdict.message);
  return verdict;
}
