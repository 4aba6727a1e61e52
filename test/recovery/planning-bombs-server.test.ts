import { afterEach, describe, expect, it } from "@jest/globals";
import { getLocal } from "./support/ponyci-process.js";
import { createRecoveryScenario, OWNER, type RecoveryScenario } from "./support/recovery-scenario.js";

/**
 * Issue 10: planning runs on the server, over files anyone can push. A tox
 * envlist of 10^8 names used to exhaust the heap, and since a pending build
 * is planned again at every start, the server crash-looped. Now: one config
 * error check run, /ping answered all along, and after a restart too.
 */

/** Asks the server's /ping every 50 ms until stopped; the statuses it got (undefined: no answer within 5 s). */
function pollPing(port: number): { stop(): Promise<Array<number | undefined>> } {
  const pings: Array<number | undefined> = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      pings.push((await getLocal(port, "/ping", 5_000))?.status);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      polling = false;
      await poller;
      return pings;
    },
  };
}

describe("a planning bomb pushed to a real server", () => {
  let scenario: RecoveryScenario | undefined;
  afterEach(async () => {
    await scenario?.dispose();
    scenario = undefined;
  });

  it("becomes a config error check run; the server answers /ping meanwhile and after a restart", async () => {
    scenario = await createRecoveryScenario({ name: "bomb" });
    const s = scenario;
    try {
      s.github.setFiles(OWNER, "bomb", {
        "tox.ini": "[tox]\nenvlist = py{0-100}{0-100}{0-100}{0-100}\n",
      });
      const server = await s.start();
      const ping = pollPing(server.port);
      expect((await s.push(server)).status).toBe(200);
      const run = await s.waitFor(() => s.github.checkRuns().find((r) => r.fields.conclusion === "failure"), 60_000, "the config error check run");
      const pings = await ping.stop();
      expect(JSON.stringify(run.fields.output)).toMatch(/expands to 104060401 names/);
      expect(pings.length).toBeGreaterThan(0);
      expect(pings.filter((status) => status !== 200)).toEqual([]);
      expect(server.running()).toBe(true);

      // A restart plans nothing again (the build is settled) and answers at once.
      server.kill("SIGTERM");
      expect((await server.exited).code).toBe(0);
      const again = await s.start();
      expect((await getLocal(again.port, "/ping"))?.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(again.running()).toBe(true);
      expect(s.github.checkRuns().filter((r) => r.fields.conclusion === "failure")).toHaveLength(1);
      expect(s.github.violations()).toEqual([]);
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 180_000);

  it("a 100 MB .github/ponyci.yml is refused after the first 256 KiB; the server answers /ping meanwhile", async () => {
    scenario = await createRecoveryScenario({ name: "huge" });
    const s = scenario;
    try {
      s.github.setFiles(OWNER, "huge", { ".github/ponyci.yml": { bytes: 100 * 1024 * 1024, declareLength: false } });
      const server = await s.start();
      const ping = pollPing(server.port);
      expect((await s.push(server)).status).toBe(200);
      const run = await s.waitFor(() => s.github.checkRuns().find((r) => r.fields.conclusion === "failure"), 60_000, "the config error check run");
      const pings = await ping.stop();
      expect(JSON.stringify(run.fields.output)).toMatch(/\.github\/ponyci\.yml is over 262144 bytes/);
      const sent = s.github.requests.find((r) => r.params.path === ".github/ponyci.yml")?.bytesSent;
      expect(sent).toBeLessThan(25 * 1024 * 1024);
      expect(pings.filter((status) => status !== 200)).toEqual([]);
      expect(server.running()).toBe(true);
      expect(s.github.violations()).toEqual([]);
    } catch (error) {
      throw new Error(`${String(error)}\n${s.report()}`, { cause: error });
    }
  }, 180_000);
});
