/**
 * A `ponyci runner` process (dist/src/cli/ponyci.js, so `npm run build`
 * first) for tests and benchmarks of scale-out: optionally inside a network
 * namespace the caller created (`ip netns exec`), its output kept for
 * assertions. Stopped by its PID only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The built CLI, from bench/support (ts-jest) or dist/bench/support (node). */
export const PONYCI_CLI = path.resolve(HERE, HERE.includes(`${path.sep}dist${path.sep}`) ? "../../src/cli/ponyci.js" : "../../dist/src/cli/ponyci.js");

export interface RunnerProcess {
  id: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
  /** Attempt ids it took (`<job>#<fence>`), from its log. */
  taken(): string[];
  /** Resolves once it takes cells (or rejects with its output after `timeoutMs`). */
  ready(timeoutMs?: number): Promise<void>;
}

export interface RunnerProcessOptions {
  id: string;
  redisUrl: string;
  signingKey: string;
  dataDir: string;
  pythons: string[];
  /** Local repository paths it may check out. */
  repoUrls: string[];
  concurrency?: number;
  /** Run inside this network namespace (`ip netns exec`). */
  netns?: string;
  env?: Record<string, string>;
}

export function startRunnerProcess(options: RunnerProcessOptions): RunnerProcess {
  if (!existsSync(PONYCI_CLI)) throw new Error(`${PONYCI_CLI} is missing: run \`npm run build\` first`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    PONYCI_REDIS_URL: options.redisUrl,
    PONYCI_REDIS_SIGNING_KEY: options.signingKey,
    PONYCI_RUNNER_REPO_URLS: options.repoUrls.join(","),
    PONYCI_RUNNER_ID: options.id,
    PONYCI_RUNNER_PYTHONS: options.pythons.join(","),
    PONYCI_CONCURRENCY: String(options.concurrency ?? 1),
    PONYCI_DATA_DIR: options.dataDir,
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
    ...options.env,
  };
  const argv = [process.execPath, PONYCI_CLI, "runner"];
  const child = options.netns ? spawn("ip", ["netns", "exec", options.netns, ...argv], { env, stdio: ["ignore", "pipe", "pipe"] }) : spawn(argv[0]!, argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    id: options.id,
    child,
    output: () => output,
    exited,
    taken: () => [...output.matchAll(/"attemptId":"([^"]+)"[^\n]*"msg":"runner: took a cell"/g)].map((m) => m[1] as string),
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!/taking cells/.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`runner ${options.id} did not start:\n${output.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}
