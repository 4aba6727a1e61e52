import { afterAll, beforeAll } from "@jest/globals";
import { Redis } from "ioredis";
import { createBullmqQueue } from "../../src/queue/create-bullmq-queue.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { describeQueueContract, type ContractPayload } from "./queue-contract.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.remove();
});

let round = 0;
describeQueueContract("BullMQ (Redis)", async ({ concurrency, maxAttempts }) => {
  // Fresh, empty state per test: its own queue name in the test's own Redis.
  const name = `contract-${++round}`;
  const queues: JobQueue<ContractPayload>[] = [];
  const open = (): JobQueue<ContractPayload> => {
    const queue = createBullmqQueue<ContractPayload>({ url: redis.url, name, concurrency, maxAttempts, backoff: () => 20, lockMs: 5_000 });
    queues.push(queue);
    return queue;
  };
  return {
    queue: open(),
    reopen: async () => open(),
    cleanup: async () => {
      for (const queue of queues) await queue.stop({ graceMs: 0, abortGraceMs: 1_000 });
      const client = new Redis(redis.url);
      const keys = await client.keys(`ponyci:${name}:*`);
      if (keys.length > 0) await client.del(...keys);
      await client.quit();
    },
  };
});
