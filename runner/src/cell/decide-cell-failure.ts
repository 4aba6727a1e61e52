import type { CellSpec } from "../../../src/domain/cell-runner.js";
import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { errorFate } from "../../../src/domain/error-fate.js";
import { InfrastructureError, ProjectError, describeError } from "../../../src/domain/errors.js";
import type { CellFinish } from "./decide-cell-finish.js";

/**
 * The finish of a cell that threw before its verdict (not cancelled, not
 * timed out): the project's fault fails the cell; at this boundary an error
 * of no known class (Docker, git, the file system) is infrastructure, which
 * the caller may retry. Pure.
 */
export function decideCellFailure(spec: CellSpec, error: unknown): { finish: CellFinish; projectFault: boolean } {
  const domainError = toDomainError(error);
  const projectFault = errorFate(domainError, "retry") === "fail";
  return {
    projectFault,
    finish: {
      notes: spec.notes,
      conclusion: projectFault ? "failure" : "error",
      testDurationMs: 0,
      error: { message: projectFault ? describeError(error) : `Infrastructure error: ${describeError(error)}` },
      infrastructureError: projectFault ? undefined : domainError instanceof InfrastructureError ? domainError : new InfrastructureError(describeError(error), { cause: error }),
    },
  };
}

/**
 * The environment builder's errors as the domain's classes: its `project`
 * failures are the project's fault, the rest infrastructure. (Goes away when
 * EnvironmentError extends ProjectError / InfrastructureError itself.)
 */
function toDomainError(error: unknown): unknown {
  if (!(error instanceof EnvironmentError)) return error;
  return error.kind === "project" ? new ProjectError(error.message, { cause: error }) : new InfrastructureError(error.message, { cause: error });
}
