import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { silentLogger } from "../../src/domain/logger.js";
import { systemClock } from "../../src/domain/clock.js";
import { createDashboardHandler } from "../../src/web/create-dashboard-handler.js";
import { createLiveHub } from "../../src/web/create-live-hub.js";
import { createAccessPolicy } from "../../src/web/create-access-policy.js";
import { createSessionCodec } from "../../src/web/session-codec.js";
import { NO_WEB_USERS } from "../../src/web/web-users.js";
import { readSse } from "./read-sse.js";
import { createLiveHub as createHub, type LiveHub } from "../../src/web/create-live-hub.js";
import { recordFinishedBuild } from "./dashboard-fixtures.js";

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

/** A raw SSE request from a given loopback address (each 127.x.y.z is a client of its own); resolves with the status. */
function streamFrom(url: string, localAddress: string): { status: Promise<number>; close(): void } {
  let request: http.ClientRequest | undefined;
  const status = new Promise<number>((resolve, reject) => {
    request = http.get(url, { localAddress, agent: false }, (res) => resolve(res.statusCode ?? 0));
    request.on("error", reject);
  });
  return { status, close: () => request?.destroy() };
}

/** Issue 23: one global limit and none per client; tiles of a repository that turned private kept flowing. */
describe("live streams per client, and after a repository turns private", () => {
  let store: Store;
  let hub: LiveHub;
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    store = openStore({ dataDir: mkdtempSync(path.join(tmpdir(), "ponyci-streams2-")), log: silentLogger });
    hub = createHub({ logLimitBytes: 1024 });
    const handler = createDashboardHandler({
      store,
      builds: { submit: () => undefined, cancelJobs: async () => undefined },
      hub,
      access: createAccessPolicy({ users: NO_WEB_USERS, clock: systemClock }),
      users: NO_WEB_USERS,
      sessions: createSessionCodec("z".repeat(40)),
      publicUrl: "http://ci.invalid",
      secureCookies: false,
      now: () => Date.now(),
      log: silentLogger,
      maxStreams: 10,
      maxStreamsPerClient: 2,
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

  it("refuses a client its third stream while another client still gets one", async () => {
    const mine = [streamFrom(`${base}/events`, "127.0.0.2"), streamFrom(`${base}/events`, "127.0.0.2")];
    expect(await Promise.all(mine.map((s) => s.status))).toEqual([200, 200]);
    const third = streamFrom(`${base}/events`, "127.0.0.2");
    expect(await third.status).toBe(503);
    const other = streamFrom(`${base}/events`, "127.0.0.3");
    expect(await other.status).toBe(200);
    for (const s of [...mine, third, other]) s.close();
  });

  it("stops a stranger's tiles of a repository once its builds are private", async () => {
    const tiles = readSse(`${base}/events`);
    expect(await tiles.status).toBe(200);
    const before = recordFinishedBuild(store, { repo: "o/turned", source: "github", visibility: "public", cloneUrl: "https://github.com/o/turned.git" });
    hub.planned?.(before, store.listJobs(before.id), []);
    for (let i = 0; i < 100 && tiles.events.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tiles.events.length).toBeGreaterThan(0);
    // The repository is private now: its next build is recorded so.
    const after = recordFinishedBuild(store, { repo: "o/turned", source: "github", visibility: "private", cloneUrl: "https://github.com/o/turned.git" });
    hub.planned?.(after, store.listJobs(after.id), []);
    // A public build of another repository after it: once its tile arrived, the private one's would have too.
    const marker = recordFinishedBuild(store, { repo: "o/other", source: "github", visibility: "public", cloneUrl: "https://github.com/o/other.git" });
    hub.planned?.(marker, store.listJobs(marker.id), []);
    for (let i = 0; i < 100 && !tiles.events.some((e) => JSON.parse(e.data).buildId === marker.id); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(tiles.events.some((e) => JSON.parse(e.data).buildId === marker.id)).toBe(true);
    expect(tiles.events.filter((e) => JSON.parse(e.data).buildId === after.id)).toEqual([]);
    tiles.close();
  });
});
