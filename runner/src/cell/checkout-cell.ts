import path from "node:path";
import type { CellSpec, CheckoutPort } from "../../../src/domain/cell-runner.js";
import { seconds } from "./seconds.js";

export type CellWorkspace = Awaited<ReturnType<CheckoutPort["checkout"]>>;

/** What the test container mounts from the checkout phase. */
export interface CellCheckout {
  workspace: CellWorkspace;
  /** host:container:ro binds: the mirror's objects the workspace borrows, the upstream repositories. */
  upstreamBinds: string[];
  /** The upstream repositories' import roots inside the container (PYTHONPATH). */
  pythonPath: string[];
}

export interface CheckoutCellOptions {
  checkout: CheckoutPort;
  spec: CellSpec;
  jobDir: string;
  signal: AbortSignal;
  system: (line: string) => void;
  now: () => number;
  /** The project's own checkout is there (before the upstream repositories): an environment that needs it may start. */
  onWorkspace?: (workspace: CellWorkspace) => void;
}

/** Phase "checkout" of a cell: the exact commit, plus any upstream repositories. */
export async function checkoutCell(options: CheckoutCellOptions): Promise<CellCheckout> {
  const { checkout, spec, jobDir, signal, system, now } = options;
  let step = now();
  system(`Checking out ${spec.source.sha.slice(0, 12)}`);
  const workspace = await checkout.checkout({ ...spec.source, workspaceDir: path.join(jobDir, "workspace") }, { signal });
  system(`Checked out in ${seconds(now() - step)}`);
  options.onWorkspace?.(workspace);
  // The workspace borrows the mirror's objects (git alternates): mounted
  // read-only at the same path, git works inside the container too.
  const upstreamBinds: string[] = (workspace.sharedObjectDirs ?? []).map((dir) => `${dir}:${dir}:ro`);
  const pythonPath: string[] = [];
  for (const [i, upstream] of (spec.upstream ?? []).entries()) {
    step = now();
    const ws = await checkout.checkout({ ...upstream, workspaceDir: path.join(jobDir, `upstream-${i}`) }, { signal });
    system(`Checked out ${upstream.name} at ${upstream.sha.slice(0, 12)} in ${seconds(now() - step)}`);
    const mount = `/upstream/${i}`;
    upstreamBinds.push(`${ws.path}:${mount}:ro`);
    pythonPath.push(mount, `${mount}/src`);
  }
  return { workspace, upstreamBinds, pythonPath };
}
