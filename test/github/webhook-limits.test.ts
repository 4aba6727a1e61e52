import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import http from "node:http";
import net from "node:net";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";
import { webhookPathname } from "../../src/server/guard-requests.js";
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

  // Issue 23: the guard compared the raw path while the middleware trims trailing slashes and resolves dot segments.
  it.each(["/api/github/webhooks/", "/api/github/webhooks///", "/api/github/x/../webhooks", "/api/x/%2e%2e/github/webhooks", "/./api/github/webhooks"])(
    "a 100 MiB body to %s gets 413 before the client has sent more than 64 KiB of it",
    async (path) => {
      const answer = await declareHugeBody(server.port, path, 100 * 1024 * 1024, 64 * 1024);
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/webhook body too large/);
    },
  );

  it("normalises a path exactly as @octokit/webhooks' middleware does", async () => {
    const middleware = createNodeMiddleware(new Webhooks({ secret: "x" }), { path: "/api/github/webhooks" });
    const urls = ["/api/github/webhooks", "/api/github/webhooks/", "/api/github/webhooks//?a=1", "/api/github/webhooks?x=/", "/API/github/webhooks", "/api/github/webhooks%2F", "/api/github/a/../webhooks", "/api/github/%2E%2E/github/webhooks", "//api/github/webhooks", "/api/github/webhooks/.", "/api/github/webhooks;x", "http://evil/api/github/webhooks", "/api/github/webhooks#x"];
    for (const url of urls) {
      let passed = false;
      const response = { writeHead: () => response, end: () => undefined, headersSent: false };
      await middleware({ url, method: "GET", headers: {} } as unknown as http.IncomingMessage, response as unknown as http.ServerResponse, () => (passed = true));
      expect({ url, guarded: webhookPathname(url) === "/api/github/webhooks" }).toEqual({ url, guarded: !passed });
    }
  });

  it("an ordinary webhook still reaches the app (a bad signature is refused by Probot, not by the guard)", async () => {
    const response = await postWebhook(server.port, "push", { hello: "world" }, { signature: "sha256=deadbeef" });
    expect(response.status).toBe(400);
    expect((await postLocal(server.port, "/ping", "", {})).status).toBe(404);
  });
});

/** Sends the headers of a POST declaring `declared` bytes and only `sent` of them, then waits for whatever the server answers (10 s at most). */
function declareHugeBody(port: number, path: string, declared: number, sent: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let answer = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, 10_000);
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes("\r\n\r\n") && /too large/.test(answer)) done();
    });
    socket.on("error", done);
    socket.on("close", done);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: big-2\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(sent, "x"));
  });
}
