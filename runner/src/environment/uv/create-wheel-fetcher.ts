import { createHash } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { access, link, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, ProxyAgent, fetch, type Dispatcher } from "undici";
import { CancelledError, describeError } from "../../../../src/domain/errors.js";
import { EnvironmentError } from "../../../../src/domain/environment-error.js";
import type { HostPython } from "../../../../src/domain/host-python.js";
import type { LockedWheel } from "./resolve-with-uv.js";

/** A wheel larger than this is refused (the largest common wheels, torch aside, are far smaller). */
export const MAX_WHEEL_BYTES = 1024 ** 3;

export interface WheelFetcher {
  /**
   * Make sure every wheel is in the shared cache, downloading only those
   * that are not (a few at a time); concurrent calls for the same file share
   * one download. Each download is checked against the index's sha256 and
   * size cap before it is renamed into the cache. Resolves how many were
   * downloaded. Throws EnvironmentError "infrastructure" (network, mismatch)
   * or CancelledError.
   */
  ensure(wheels: LockedWheel[], options?: { signal?: AbortSignal }): Promise<number>;
}

/**
 * Downloads through undici with the operator's CA (and proxy, when one is
 * set), like host pip: Node's global fetch cannot be given a CA bundle.
 */
export function createWheelFetcher(options: { host: HostPython; wheelsDir: string; parallel?: number }): WheelFetcher {
  const inflight = new Map<string, Promise<boolean>>();
  let dispatcher: Dispatcher | undefined;
  const agent = () => {
    if (dispatcher) return dispatcher;
    const ca = options.host.certFile ? readFileSync(options.host.certFile) : undefined;
    const proxy = options.host.proxy?.HTTPS_PROXY ?? options.host.proxy?.https_proxy;
    dispatcher = proxy ? new ProxyAgent({ uri: proxy, requestTls: ca ? { ca } : undefined }) : new Agent({ connect: ca ? { ca } : undefined });
    return dispatcher;
  };

  const fetchOne = async (wheel: LockedWheel, signal?: AbortSignal): Promise<boolean> => {
    const target = join(options.wheelsDir, wheel.file);
    if (await exists(target)) return false;
    const part = join(options.wheelsDir, `.${wheel.file}.${process.pid}.${Math.random().toString(36).slice(2)}.part`);
    try {
      const response = await fetch(wheel.url, { dispatcher: agent(), signal: signal ?? AbortSignal.timeout(10 * 60 * 1000) });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const declared = Number(response.headers.get("content-length") ?? 0);
      if (declared > MAX_WHEEL_BYTES) throw new Error(`${declared} bytes is over the ${MAX_WHEEL_BYTES} byte cap`);
      const hash = createHash("sha256");
      let size = 0;
      const body = Readable.fromWeb(response.body as never);
      body.on("data", (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
        if (size > MAX_WHEEL_BYTES) body.destroy(new Error(`over the ${MAX_WHEEL_BYTES} byte cap`));
      });
      await pipeline(body, createWriteStream(part, { flags: "wx" }));
      const digest = hash.digest("hex");
      if (digest !== wheel.sha256) throw new Error(`sha256 ${digest} is not the index's ${wheel.sha256}`);
      await link(part, target).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
      return true;
    } catch (error) {
      if (signal?.aborted) throw new CancelledError();
      throw new EnvironmentError("infrastructure", `Downloading ${wheel.file} from ${new URL(wheel.url).host} failed: ${describeError(error)}`, { cause: error });
    } finally {
      await rm(part, { force: true });
    }
  };

  return {
    async ensure(wheels, { signal } = {}) {
      await mkdir(options.wheelsDir, { recursive: true });
      const queue = [...new Map(wheels.map((w) => [w.file, w])).values()];
      let downloaded = 0;
      const worker = async () => {
        for (let wheel = queue.shift(); wheel; wheel = queue.shift()) {
          let pending = inflight.get(wheel.file);
          if (!pending) {
            pending = fetchOne(wheel, signal).finally(() => inflight.delete(wheel!.file));
            inflight.set(wheel.file, pending);
          }
          if (await pending) downloaded++;
        }
      };
      await Promise.all(Array.from({ length: options.parallel ?? 6 }, worker));
      return downloaded;
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
