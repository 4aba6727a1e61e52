import { execa } from "execa";
import { VENV_PATH } from "../../src/domain/environment.js";
import { randomUUID } from "node:crypto";
import { LABEL_BENCH } from "./bench-context.js";
import { parseDjangoTestTime } from "./parse-django-test-time.js";

export interface BareRunOptions {
  image: string;
  /** The environment's venv (host directory), mounted read-only at /opt/venv as the cell's container has it. */
  venvDir?: string;
  /** Variables the environment needs (PATH, VIRTUAL_ENV). */
  env?: Record<string, string>;
  /** Host directory with the project, mounted at /workspace. */
  workspace: string;
  command: string[];
  /** Same resource limits as the cell's container, so only the runner's machinery differs. */
  limits: { memoryBytes: number; nanoCpus: number; pidsLimit: number };
  timeoutMs: number;
}

export interface BareRun {
  wallMs: number;
  exitCode: number | undefined;
  django?: { tests: number; ms: number };
  output: string;
}

/**
 * The baseline: `docker run --rm --network none` of the test command on the
 * environment (its base image and read-only venv), timed from the CLI call to its exit. The container is
 * labelled and named so it is removed even when the call times out.
 */
export async function runBareTests(options: BareRunOptions): Promise<BareRun> {
  const name = `ponyci-bench-${randomUUID().slice(0, 12)}`;
  const args = [
    "run", "--rm", "--network", "none", "--name", name, "--label", `${LABEL_BENCH}=1`,
    "--memory", String(options.limits.memoryBytes), "--memory-swap", String(options.limits.memoryBytes),
    "--cpus", String(options.limits.nanoCpus / 1e9), "--pids-limit", String(options.limits.pidsLimit),
    "-v", `${options.workspace}:/workspace`, "-w", "/workspace",
    ...(options.venvDir ? ["-v", `${options.venvDir}:${VENV_PATH}:ro`] : []),
    ...Object.entries(options.env ?? {}).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
    options.image, ...options.command,
  ];
  const begin = performance.now();
  try {
    const result = await execa("docker", args, { all: true, reject: false, timeout: options.timeoutMs, stdin: "ignore" });
    const wallMs = performance.now() - begin;
    const output = result.all ?? "";
    if (result.timedOut) throw new Error(`bare docker run timed out after ${options.timeoutMs} ms`);
    return { wallMs, exitCode: result.exitCode, django: parseDjangoTestTime(output), output };
  } finally {
    await execa("docker", ["rm", "--force", name], { reject: false });
  }
}
