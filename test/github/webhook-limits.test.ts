import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import { fakeGitHub, postLocal, postWebhook, startTestServer } from "../support/github-app-harness.js";
import type { RunningServer } from "../../src/server/start-server.js";

/** Webhook bodies are bounded before the signature check could even start. */
describe("webhook entry point", () => {
  let server: RunningServer;

  beforeAll(async () => {
    fakeGitHub();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 1000 });
  });

  const headers = { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "big-1", "x-hub-signature-256": "sha256=00" };

  it("a 100 MB unsigned webhook gets 413 from its declared length", async () => {
    const response = await postLocal(server.port, "/api/github/webhooks", "x".repeat(100 * 1024 * 1024), headers);
    expect(response.status).toBe(413);
    expect(response.body).toMatch(/^webhook body too large: at most 26214400 bytes/);
  });

  it("a streamed (chunked) body is refused with 413 as soon as it passes 25 MiB", async () => {
    const response = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const request = http.request({ host: "127.0.0.1", port: server.port, path: "/api/github/webhooks", method: "POST", headers: { ...headers, "transfer-encoding": "chunked" }, agent: false }, (res) => {
        answered = true;
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, sent }));
      });
      request.on("error", (error) => (answered ? undefined : reject(error)));
      const chunk = Buffer.alloc(1024 * 1024, "x");
      const pump = () => {
        while (!answered && sent < 200 * chunk.length) {
          sent += chunk.length;
          if (!request.write(chunk)) return void request.once("drain", pump);
        }
        request.end();
      };
      pump();
    });
    // Without the guard Probot would buffer all 200 MiB and answer 400 (bad signature).
    expect(response.status).toBe(413);
    expect(response.body).toMatch(/^webhook body too large/);
  });

  it("an ordinary webhook still reaches the app (a bad signature is refused by Probot, not by the guard)", async () => {
    const response = await postWebhook(server.port, "push", { hello: "world" }, { signature: "sha256=deadbeef" });
    expect(response.status).toBe(400);
    expect((await postLocal(server.port, "/ping", "", {})).status).toBe(404);
  });
});
