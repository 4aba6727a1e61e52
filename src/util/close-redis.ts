import type { Redis } from "ioredis";

/** quit() when connected (flushes what was sent), else drop: a Redis that is away must not hold up a shutdown. */
export async function closeRedis(connection: Redis): Promise<void> {
  if (connection.status !== "ready") return void connection.disconnect();
  await settleWithin(connection.quit(), 1_000);
  connection.disconnect();
}

/** Waits for `promise` (ignoring its failure) at most `ms`. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
