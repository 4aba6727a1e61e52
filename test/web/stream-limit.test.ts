import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { silentLogger } from "../../src/domain/logger.js";
import { systemClock } from "../../src/store/clock.js";
import { createDashboardHandler } from "../../src/web/create-dashboard-handler.js";
import { createLiveHub } from "../../src/web/create-live-hub.js";
import { createAccessPolicy } from "../../src/web/create-access-policy.js";
import { createSessionCodec } from "../../src/web/session-codec.js";
import { NO_WEB_USERS } from "../../src/web/web-users.js";
import { readSse } from "./read-sse.js";

/** Open streams are bounded: one more is refused with 503 and Retry-After, and a closed one frees its place. */
describe("SSE stream limit", () => {
  let store: Store;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    store = openStore({ dataDir: mkdtempSync(path.join(tmpdir(), "ponyci-streams-")), log: silentLogger });
    const handler = createDashboardHandler({
      store,
      builds: { submit: () => undefined, cancelJobs: async () => undefined },
      hub: createLiveHub({ logLimitBytes: 1024 }),
      access: createAccessPolicy({ users: NO_WEB_USERS, clock: systemClock }),
      users: NO_WEB_USERS,
      sessions: createSessionCodec("z".repeat(40)),
      publicUrl: "http://ci.invalid",
      secureCookies: false,
      now: () => Date.now(),
      log: silentLogger,
      maxStreams: 2,
    });
    server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    store.close();
  });

  it("refuses the stream over the limit and accepts one again after a client left", async () => {
    const a = readSse(`${base}/events`);
    const b = readSse(`${base}/events`);
    expect([await a.status, await b.status]).toEqual([200, 200]);
    const refused = await fetch(`${base}/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("10");
    a.close();
    let again = 0;
    for (let i = 0; i < 50 && again !== 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const c = readSse(`${base}/events`);
      again = await c.status;
      c.close();
    }
    expect(again).toBe(200);
    b.close();
  });
});
