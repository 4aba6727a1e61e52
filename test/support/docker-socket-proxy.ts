/**
 * A Docker socket this test controls: a Unix socket that forwards every
 * connection to the machine's Docker Engine, and that `down()` closes (the
 * socket file disappears and open connections are cut), as when dockerd
 * stops. Point a client at it with DOCKER_HOST=unix://<path>. The machine's
 * dockerd is never touched (other tests use it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export interface DockerSocketProxy {
  /** unix:///…/docker.sock */
  readonly url: string;
  up(): Promise<void>;
  down(): Promise<void>;
  /** down() and delete the directory. */
  remove(): Promise<void>;
}

export async function startDockerSocketProxy(target = "/var/run/docker.sock"): Promise<DockerSocketProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-docker-proxy-"));
  const socketPath = path.join(dir, "docker.sock");
  const open = new Set<net.Socket>();
  let server: net.Server | undefined;
  const up = async (): Promise<void> => {
    if (server) return;
    const listening = net.createServer((client) => {
      const engine = net.connect(target);
      open.add(client).add(engine);
      const drop = (): void => {
        client.destroy();
        engine.destroy();
        open.delete(client);
        open.delete(engine);
      };
      client.on("error", drop).on("close", drop);
      engine.on("error", drop).on("close", drop);
      client.pipe(engine).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(socketPath, () => resolve());
    });
    server = listening;
  };
  const down = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    if (!closing) return;
    const closed = new Promise<void>((resolve) => closing.close(() => resolve()));
    for (const socket of open) socket.destroy();
    open.clear();
    await closed;
  };
  await up();
  return {
    url: `unix://${socketPath}`,
    up,
    down,
    remove: async () => {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
