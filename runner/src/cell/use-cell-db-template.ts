import type Docker from "dockerode";
import type { CellSpec } from "../../../src/domain/cell-runner.js";
import { describeError } from "../../../src/domain/errors.js";
import type { Logger } from "../../../src/domain/logger.js";
import type { DbTemplateStore } from "../db-template/create-db-template-store.js";
import { prepareCellDbTemplate, type CellDbTemplate } from "../db-template/prepare-cell-db-template.js";
import type { CellService } from "./start-cell-service.js";

export interface UseCellDbTemplateOptions {
  docker: Docker;
  /** Undefined: templates are off (every cell migrates from scratch). */
  store: DbTemplateStore | undefined;
  user: string;
  log: Logger;
  spec: CellSpec;
  jobDir: string;
  workspaceDir: string;
  environmentKey: string | undefined;
  service: CellService | undefined;
  onLog: (line: string) => void;
}

/**
 * Phase "db template" of a cell: migrate once per environment — the kept
 * migrated test database, or the order to keep this one
 * (prepareCellDbTemplate). Undefined when there is none; never fails the cell.
 */
export async function useCellDbTemplate(options: UseCellDbTemplateOptions): Promise<CellDbTemplate | undefined> {
  const { spec, store, service } = options;
  if (!store) return undefined;
  const serviceSpec = spec.services?.[0];
  try {
    return await prepareCellDbTemplate({
      docker: options.docker, store, jobDir: options.jobDir, workspaceDir: options.workspaceDir, environmentKey: options.environmentKey,
      database: serviceSpec?.name ?? (spec.cell.database === "sqlite" || !spec.cell.database ? "sqlite" : undefined),
      ...(service && serviceSpec ? { service: { ...service, spec: serviceSpec } } : {}),
      scope: spec.source.url, env: { ...spec.env, ...spec.commands?.env },
      command: spec.commands ? JSON.stringify(spec.commands) : spec.command, user: options.user, log: options.onLog,
    });
  } catch (error) {
    options.log.warn({ jobId: spec.jobId, err: error }, "test database template not prepared");
    options.onLog(`Test database template not used: ${describeError(error)}`);
    return undefined;
  }
}
