import { describe, expect, it } from "@jest/globals";
import { Writable } from "node:stream";
import { createCliLogger, createServerLogger } from "../../src/log/create-logger.js";

/** A stream that keeps what is written to it. */
function collector() {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("createCliLogger", () => {
  it("pretty-prints, keeps an error's stack and cause when logged as { err }, and drops levels below its own", async () => {
    const out = collector();
    const log = createCliLogger({ level: "warn", colorize: false, destination: out.stream });
    log.info("not shown");
    log.error({ err: new Error("docker went away", { cause: new Error("ENOENT /var/run/docker.sock") }), job: "j1" }, "cell failed");
    await settle();
    expect(out.text()).not.toContain("not shown");
    expect(out.text()).toMatch(/ERROR.*cell failed/);
    expect(out.text()).toContain("docker went away");
    expect(out.text()).toMatch(/^\s+at .*create-logger\.test\.ts/m);
    expect(out.text()).toContain("ENOENT /var/run/docker.sock");
    expect(out.text()).toContain('job: "j1"');
  });
});

describe("createServerLogger", () => {
  it("writes one JSON object per line with LOG_FORMAT=json, the error serialized with its stack", async () => {
    const out = collector();
    const log = await createServerLogger({ level: "info", format: "json", destination: out.stream });
    log.debug("not shown");
    log.error({ err: new TypeError("bad payload") }, "webhook failed");
    await settle();
    const lines = out.text().trim().split("\n");
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? "") as { level: number; msg: string; name: string; err: { type: string; message: string; stack: string } };
    expect(entry).toMatchObject({ level: 50, msg: "webhook failed", name: "ponyci", err: { type: "TypeError", message: "bad payload" } });
    expect(entry.err.stack).toMatch(/\n\s+at /);
  });

  it("pretty-prints in Probot's format by default", async () => {
    const out = collector();
    const log = await createServerLogger({ level: "info", format: "pretty", destination: out.stream });
    log.info({ delivery: "d1" }, "push handled");
    await settle();
    expect(out.text()).toMatch(/INFO \(ponyci\): push handled/);
    expect(out.text()).toContain('delivery: "d1"');
  });
});
