import type { CellSpec, EnvironmentPort } from "../../../src/domain/cell-runner.js";
import type { ProjectMetadataRequest } from "../../../src/domain/environment.js";
import { InfrastructureError } from "../../../src/domain/errors.js";
import { seconds } from "./seconds.js";

export type CellEnvironmentReady = Awaited<ReturnType<EnvironmentPort["ensure"]>>;

/** Lines of the environment tools' output kept for a failed build's log. */
const TOOL_OUTPUT_LINES = 60;

/**
 * A cell's environment, asked for alongside the checkout. Call order:
 * `ask` once (before the checkout, or after it with the project's metadata),
 * `ready` once, `release` always (in the cell's `finally`; safe when `ask`
 * was never called or the environment failed).
 */
export interface CellEnvironment {
  ask(project?: ProjectMetadataRequest): void;
  /**
   * The environment, ready; logs how long it took. When the build fails (and
   * the cell was not stopped) the last lines of the tools' output go to the
   * log before the error is rethrown.
   */
  ready(): Promise<CellEnvironmentReady>;
  /** Done with the environment however the cell ended: aborts a build still running, lets its deferred work (a byte-compile) start. */
  release(): void;
}

export interface StartCellEnvironmentOptions {
  environments: EnvironmentPort;
  spec: CellSpec;
  /** The cell's cancel and deadline. */
  signal: AbortSignal;
  system: (line: string) => void;
  now: () => number;
}

/**
 * Phase "environment" of a cell. The tools' own output (pip, uv, the build
 * container) is kept back and shown only if the build fails: the log is the
 * project's, with Pony CI's steps (`ponyci: …` lines) as short lines.
 */
export function startCellEnvironment(options: StartCellEnvironmentOptions): CellEnvironment {
  const { environments, spec, signal, system, now } = options;
  const toolOutput: string[] = [];
  const onLog = (line: string) => {
    const own = /^ponyci:\s*(.*)$/.exec(line);
    if (own) return system(own[1] ?? "");
    toolOutput.push(line);
    if (toolOutput.length > TOOL_OUTPUT_LINES) toolOutput.shift();
  };
  /** Aborts the environment when the cell ends without it (a failed checkout): a build must not outlive its cell. */
  const abort = new AbortController();
  const askedAt = now();
  let readyAt = askedAt;
  let pending: Promise<CellEnvironmentReady> | undefined;
  return {
    ask(project) {
      pending = environments.ensure({ ...environmentRequest(spec), ...(project ? { project } : {}) }, { signal: AbortSignal.any([signal, abort.signal]), onLog });
      pending.then(() => (readyAt = now()), () => undefined); // awaited in ready(); not unhandled if the checkout fails first
    },
    async ready() {
      let environment: CellEnvironmentReady;
      try {
        if (!pending) throw new InfrastructureError("the environment was never asked for");
        environment = await pending;
      } catch (error) {
        if (!signal.aborted && toolOutput.length > 0) {
          system(`Environment build failed; the last ${toolOutput.length} lines of its output:`);
          for (const line of toolOutput) system(line);
        }
        throw error;
      }
      system(`Environment ${environment.key ? `${environment.key.slice(0, 12)} on ${environment.image}` : environment.image} (Django ${environment.django}, ${environment.built ? "built" : "cached"}) in ${seconds(readyAt - askedAt)}`);
      return environment;
    },
    release() {
      abort.abort();
      void pending?.then((environment) => environment.key && environments.settle?.(environment.key), () => undefined);
    },
  };
}

/** The environment port's request for a job spec: exactly what the planner decided to install. */
function environmentRequest(spec: CellSpec): Parameters<EnvironmentPort["ensure"]>[0] {
  const { python, django, requirements, constraints, sources, requirementNotes, database } = spec.environment;
  return {
    python, django, requirements, cacheScope: spec.source.url,
    ...(constraints?.length ? { constraints } : {}),
    ...(sources?.length ? { sources } : {}),
    ...(requirementNotes?.length ? { notes: requirementNotes } : {}),
    ...(database ? { database } : {}),
  };
}
