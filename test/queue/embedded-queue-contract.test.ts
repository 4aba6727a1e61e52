import { createEmbeddedQueue } from "../../src/queue/create-embedded-queue.js";
import type { JobQueue } from "../../src/queue/job-queue.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";
import { describeQueueContract, type ContractPayload } from "./queue-contract.js";

describeQueueContract("embedded (SQLite)", async ({ concurrency, maxAttempts }) => {
  const temp = makeTempDir("ponyci-queue-");
  const stores: Store[] = [];
  const queues: JobQueue<ContractPayload>[] = [];
  const open = (): JobQueue<ContractPayload> => {
    const store = openStore({ dataDir: temp.dir });
    stores.push(store);
    const queue = createEmbeddedQueue<ContractPayload>({ store, concurrency, maxAttempts, backoff: () => 20, pollMs: 50 });
    queues.push(queue);
    return queue;
  };
  return {
    queue: open(),
    reopen: async () => {
      stores.at(-1)?.close();
      return open();
    },
    cleanup: async () => {
      for (const queue of queues) await queue.stop({ graceMs: 0, abortGraceMs: 1_000 });
      for (const store of stores) store.close();
      temp.remove();
    },
  };
});
