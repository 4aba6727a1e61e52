/**
 * A real redis-server (Debian's package, installed by runner/host/ensure-redis.sh)
 * for one test file: its own port and data directory, AOF on, stopped by PID.
 * `restart()` stops it gracefully (SIGTERM: Redis flushes the AOF) and starts
 * it again on the same port over the same directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  pid(): number | undefined;
  output(): string;
  /** Stops (SIGTERM, waits for exit) and starts again over the same data. */
  restart(): Promise<void>;
  /** Stops it; the data stays until `remove()`. */
  stop(): Promise<void>;
  /** Stops it and deletes its data directory. */
  remove(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = "";
    socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
    socket.on("error", () => resolve(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) {
        socket.end();
        // -NOAUTH: up, with a password.
        resolve(reply.startsWith("+PONG") || reply.startsWith("-NOAUTH"));
      }
    });
  });
}

/** `bind`: the address to listen on (default 127.0.0.1; a test's own veth address for netns tests). `password`: requirepass (then in `url`). */
export async function startRedisServer(options: { bind?: string[]; password?: string } = {}): Promise<RedisServer> {
  const binds = options.bind ?? ["127.0.0.1"];
  const host = binds[0] as string;
  const port = await freePort("127.0.0.1");
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-redis-"));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = "";

  const start = async (): Promise<void> => {
    const args = ["--port", String(port), "--bind", ...binds, "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--protected-mode", "no", ...(options.password ? ["--requirepass", options.password] : [])];
    const started = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    started.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    started.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
    exited = new Promise((resolve) => started.once("exit", () => resolve()));
    for (let i = 0; i < 100; i++) {
      if (await answers("127.0.0.1", port)) return;
      if (started.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not start on port ${port}:\n${log}`);
  };
  const stop = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  await start();
  return {
    url: options.password ? `redis://:${encodeURIComponent(options.password)}@${host}:${port}` : `redis://${host}:${port}`,
    port,
    host,
    pid: () => child?.pid,
    output: () => log,
    restart: async () => {
      await stop();
      await start();
    },
    stop,
    remove: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
