import { execa } from "execa";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";

export interface GitHttpsServer {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** Authorization header of every request (undefined when absent), in order. */
  authorizations: (string | undefined)[];
  /** Sockets closed by the client so far on the `/hang/` route. */
  hungClosed: () => number;
  close(): Promise<void>;
}

/**
 * A loopback https git server: `git http-backend` (CGI) serving `projectRoot`,
 * with a self-signed certificate made by openssl in `certDir`. When `password`
 * is set, requests without basic auth `x-access-token:<password>` get a 401.
 * Paths under `/hang/` are accepted and never answered (for abort tests).
 */
export async function serveGitHttps(options: { projectRoot: string; certDir: string; password?: string }): Promise<GitHttpsServer> {
  const key = join(options.certDir, "key.pem");
  const cert = join(options.certDir, "cert.pem");
  await execa("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
  const authorizations: (string | undefined)[] = [];
  let hungClosed = 0;
  const hanging = new Set<Socket>();
  const expected = options.password === undefined ? undefined : `Basic ${Buffer.from(`x-access-token:${options.password}`).toString("base64")}`;
  const server: Server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
    authorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? "/", "https://127.0.0.1");
    if (url.pathname.startsWith("/hang/")) {
      hanging.add(req.socket);
      req.socket.on("close", () => (hungClosed += 1));
      return;
    }
    if (expected !== undefined && req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' }).end("denied");
      return;
    }
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "",
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    cgi.on("close", () => {
      const out = Buffer.concat(chunks);
      const split = out.indexOf("\r\n\r\n");
      const head = out.subarray(0, split).toString("latin1");
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split("\r\n")) {
        const [name, ...rest] = line.split(":");
        if (name === undefined || rest.length === 0) continue;
        if (name.toLowerCase() === "status") status = Number.parseInt(rest.join(":").trim(), 10);
        else headers[name] = rest.join(":").trim();
      }
      res.writeHead(status, headers).end(out.subarray(split + 4));
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    authorizations,
    hungClosed: () => hungClosed,
    close: () =>
      new Promise<void>((ok) => {
        for (const socket of hanging) socket.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
