import type Docker from "dockerode";
import { silentLogger, type Logger } from "../../../src/domain/logger.js";
import { pythonTitle } from "../../../src/domain/python-name.js";
import { detectPythons } from "./detect-pythons.js";

/** One dependency a health endpoint checks: resolves when usable, rejects with the reason when not. */
export type RunnerCheck = () => Promise<unknown>;

export interface RunnerHealthOptions {
  docker: Docker;
  /** The Python versions this runner advertises: their base images must be present. */
  pythons: string[];
  /** Answers when the server's Redis does (a PING on the runner's connection). */
  pingRedis: RunnerCheck;
  log?: Logger;
  /** How often Docker and the images are checked in the background. Default 5 s. */
  intervalMs?: number;
  /** Each check's deadline. Default 3 s. */
  timeoutMs?: number;
}

export interface RunnerHealth {
  /** For /healthz: docker (the Engine answers), images (every advertised base image is present), redis. */
  readonly checks: Record<"docker" | "images" | "redis", RunnerCheck>;
  /** False while the last background check found Docker or the images unusable: take no cells. */
  accepting(): boolean;
  /** The last background result per check (true: passed), for /metrics. */
  last(): { docker: boolean; images: boolean };
  /** Checks once now, then every `intervalMs`, logging each change. Returns when the first check is done. */
  start(): Promise<void>;
  stop(): void;
}

/**
 * A runner host looks after itself: a Docker Engine that stops answering (a
 * daemon restart, a full disk, a broken socket) or a base image removed by
 * hand would fail every cell this runner takes, as an infrastructure error
 * retried elsewhere, over and over. Instead the runner stops taking cells
 * while that lasts, says so once in its log and on /healthz, and takes cells
 * again when Docker is back. Redis is checked for /healthz only: the worker
 * already waits for it to come back.
 */
export function createRunnerHealth(options: RunnerHealthOptions): RunnerHealth {
  const log = options.log ?? silentLogger;
  const intervalMs = options.intervalMs ?? 5_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const within = async (check: RunnerCheck): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  };
  const checks: RunnerHealth["checks"] = {
    docker: () => options.docker.ping(),
    images: async () => {
      const present = new Set(await detectPythons(options.docker));
      const missing = options.pythons.filter((python) => !present.has(python));
      if (missing.length > 0) throw new Error(`base images missing: ${missing.map((python) => pythonTitle(python)).join(", ")} (add with ${missing.map((python) => `\`ponyci images add ${python}\``).join(", ")})`);
    },
    redis: options.pingRedis,
  };
  let state = { docker: true, images: true };
  let reason = "";
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const probe = async (): Promise<void> => {
    const outcome = async (check: RunnerCheck): Promise<string | undefined> =>
      within(check).then(
        () => undefined,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
    const dockerError = await outcome(checks.docker);
    // Without Docker the images cannot be listed: report the cause, not its echo.
    const imagesError = dockerError === undefined ? await outcome(checks.images) : "Docker does not answer";
    const next = { docker: dockerError === undefined, images: imagesError === undefined };
    const nextReason = dockerError !== undefined ? `the Docker Engine does not answer (${dockerError})` : imagesError ?? "";
    const wasAccepting = state.docker && state.images;
    state = next;
    if (wasAccepting && nextReason !== "") log.error({ reason: nextReason }, `runner: ${nextReason}; taking no cells until it is fixed`);
    else if (!wasAccepting && nextReason === "") log.info("runner: Docker and the base images are back; taking cells again");
    else if (nextReason !== reason && nextReason !== "") log.error({ reason: nextReason }, `runner: ${nextReason}; still taking no cells`);
    reason = nextReason;
  };
  const loop = (): void => {
    if (stopped) return;
    timer = setTimeout(() => void probe().finally(loop), intervalMs);
    timer.unref();
  };

  return {
    checks,
    accepting: () => state.docker && state.images,
    last: () => ({ ...state }),
    async start() {
      stopped = false;
      await probe();
      loop();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
