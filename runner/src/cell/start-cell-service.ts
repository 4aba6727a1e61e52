import type Docker from "dockerode";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { CellSpec } from "../../../src/domain/cell-runner.js";
import { databaseEnv } from "../../../src/domain/database.js";
import { databaseLogins } from "../../../src/domain/database-logins.js";
import { InfrastructureError } from "../../../src/domain/errors.js";
import { defaultServiceLimits } from "../../../src/domain/service-limits.js";
import { resolveServiceImage } from "../services/resolve-service-image.js";
import { startService, type RunningService, type ServiceLimits } from "../services/start-service.js";

/** A started database service, as the test-database template needs it. */
export interface CellService {
  id: string;
  image: string;
  inputDir: string;
}

export interface StartCellServiceOptions {
  docker: Docker;
  /** Image template (PONYCI_SERVICE_IMAGE, default "auto"), limits over the defaults, readiness timeout. */
  services?: { image?: string; limits?: Partial<ServiceLimits>; readyTimeoutMs?: number };
  /** The cell's CPU share, which the service gets too unless `services.limits` says otherwise. */
  nanoCpus: number;
  spec: CellSpec;
  jobDir: string;
  signal?: AbortSignal;
  /** Called at once with each service started, so the caller's `finally` stops it whatever happens next. */
  started: (service: RunningService, info: CellService) => void;
  onLog: (line: string) => void;
}

/**
 * Phase 0 of a cell: start the job's database service (at most one: the
 * cell's database) and return the test container's network mode; undefined
 * without services.
 */
export async function startCellService(options: StartCellServiceOptions): Promise<string | undefined> {
  const { spec, jobDir } = options;
  const [service, ...more] = spec.services ?? [];
  if (!service) return undefined;
  if (more.length > 0) throw new InfrastructureError(`a job runs one database service, this one asks for ${spec.services?.length}`);
  const image = await resolveServiceImage(options.docker, options.services?.image ?? "auto", service);
  // The users and databases the project's own settings name (config env, tox set_env over it), as the tests will see them.
  const projectEnv = { ...spec.env, ...spec.commands?.env };
  const logins = databaseLogins(service.name, projectEnv, { ...databaseEnv(service.name), ...projectEnv });
  const inputDir = path.join(jobDir, "service-in");
  await mkdir(inputDir, { recursive: true, mode: 0o755 });
  const running = await startService(options.docker, {
    jobId: spec.jobId,
    service,
    image,
    logins,
    scratchDir: path.join(jobDir, "service"),
    inputDir,
    limits: { ...defaultServiceLimits, nanoCpus: options.nanoCpus, ...options.services?.limits },
    readyTimeoutMs: options.services?.readyTimeoutMs,
    signal: options.signal,
  });
  options.started(running, { id: running.id, image, inputDir });
  options.onLog(`Service ${service.name} (${image}) ready in ${running.readyMs} ms on 127.0.0.1${logins.length > 0 ? ` (users ${[...new Set(logins.map((l) => l.user))].join(", ")})` : ""}`);
  return running.networkMode;
}
