/**
 * `ponyci serve` as a real child process (the compiled dist/, so run `npm
 * run build` first), for tests that kill, stop and restart the server.
 * Output is collected so a failing test can show it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** The compiled CLI, from test/recovery/support (sources) or dist/test/recovery/support (compiled bench). */
export const PONYCI_CLI = path.join(ROOT.endsWith(`${path.sep}dist`) ? path.dirname(ROOT) : ROOT, "dist/src/cli/ponyci.js");

export interface PonyCiProcessOptions {
  /** PONYCI_DATA_DIR: the same directory across restarts. */
  dataDir: string;
  /** Base URL of the fake GitHub (PONYCI_GITHUB_API_URL). */
  githubUrl: string;
  appId: number;
  privateKey: string;
  webhookSecret: string;
  /** More environment (DOCKER_HOST, PONYCI_SHUTDOWN_GRACE…); wins over the defaults. */
  env?: Record<string, string>;
  /** How long to wait for GET /ping. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface PonyCiProcess {
  readonly pid: number;
  readonly port: number;
  /** When spawn() was called (Date.now()). */
  readonly spawnedAt: number;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (no-op when it has exited). */
  kill(signal: NodeJS.Signals): void;
  /** True while the process runs. */
  running(): boolean;
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** GET http://127.0.0.1:<port><path> without keep-alive; status and body, or undefined when nothing answers. */
export function getLocal(port: number, urlPath: string, timeoutMs = 2_000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const request = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", () => resolve(undefined));
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(undefined));
  });
}

/**
 * Spawns `node dist/src/cli/ponyci.js serve` without waiting for it. The
 * child gets only what the server needs: PATH and HOME from this process,
 * the GitHub App settings, HOST/PORT, its data dir, concurrency 1 and
 * LOG_LEVEL=warn (no NODE_OPTIONS, no DOCKER_HOST unless given).
 */
export async function spawnPonyCi(options: PonyCiProcessOptions): Promise<PonyCiProcess> {
  if (!existsSync(PONYCI_CLI)) throw new Error(`${PONYCI_CLI} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    APP_ID: String(options.appId),
    PRIVATE_KEY: options.privateKey,
    WEBHOOK_SECRET: options.webhookSecret,
    HOST: "127.0.0.1",
    PORT: String(port),
    PONYCI_DATA_DIR: options.dataDir,
    PONYCI_GITHUB_API_URL: options.githubUrl,
    PONYCI_PUBLIC_URL: "http://ci.example.test",
    PONYCI_CONCURRENCY: "1",
    LOG_LEVEL: "warn",
    ...options.env,
  };
  mkdirSync(options.dataDir, { recursive: true });
  const spawnedAt = Date.now();
  // cwd = the data dir: the CLI reads .env from its working directory.
  const child: ChildProcess = spawn(process.execPath, [PONYCI_CLI, "serve"], { cwd: options.dataDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
    child.once("error", (error) => {
      alive = false;
      output += `\n[spawn failed: ${String(error)}]`;
      resolve({ code: null, signal: null });
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${PONYCI_CLI}`);
  return {
    pid: child.pid,
    port,
    spawnedAt,
    output: () => output,
    exited,
    kill: (signal) => {
      if (alive) child.kill(signal);
    },
    running: () => alive,
  };
}

/** Polls GET /ping until Probot answers PONG; throws (with the output) if the process exits or the time runs out. */
export async function waitForPing(server: PonyCiProcess, timeoutMs = 30_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!server.running()) throw new Error(`ponyci serve exited before answering /ping:\n${server.output()}`);
    const answer = await getLocal(server.port, "/ping", 1_000);
    if (answer?.status === 200 && answer.body.includes("PONG")) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`ponyci serve did not answer /ping within ${timeoutMs} ms:\n${server.output()}`);
}

/** `spawnPonyCi`, then wait until it answers /ping. */
export async function startPonyCi(options: PonyCiProcessOptions): Promise<PonyCiProcess> {
  const server = await spawnPonyCi(options);
  try {
    await waitForPing(server, options.readyTimeoutMs);
  } catch (error) {
    server.kill("SIGKILL");
    await server.exited;
    throw error;
  }
  return server;
}

/** SIGKILL (if still running) and wait for the exit: safe in `finally` / `afterEach`. */
export async function killPonyCi(server: PonyCiProcess | undefined): Promise<void> {
  if (!server) return;
  server.kill("SIGKILL");
  await server.exited;
}

/** The process's exit, or "still running" if it has not exited within `ms` (the timer is cleared either way). */
export async function exitWithin(server: PonyCiProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | "still running"> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([server.exited, new Promise<"still running">((resolve) => (timer = setTimeout(() => resolve("still running"), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
