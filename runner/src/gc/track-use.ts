import { basename } from "node:path";
import { getMirrorPath } from "../checkout/get-mirror-path.js";
import type { CheckoutPort, EnvironmentPort } from "../../../src/domain/cell-runner.js";
import { recordUse } from "./record-use.js";

/**
 * The environment port, recording the last use of every environment it hands out
 * (the garbage collector removes the least recently used first). A mark
 * that cannot be written costs nothing but accuracy.
 */
export function trackEnvironmentUse<P extends EnvironmentPort>(port: P, usedDir: string): P {
  const tracked = Object.create(port) as P;
  tracked.ensure = async (request, options) => {
    const environment = await port.ensure(request, options);
    if (environment.key) await recordUse(usedDir, environment.key).catch(() => undefined);
    return environment;
  };
  return tracked;
}

/** The checkout port, recording the last use of each repository's mirror (under `gitDir`). */
export function trackCheckoutUse<P extends CheckoutPort>(port: P, gitDir: string, usedDir: string): P {
  const tracked = Object.create(port) as P;
  tracked.checkout = async (request, options) => {
    const workspace = await port.checkout(request, options);
    await recordUse(usedDir, basename(getMirrorPath(gitDir, request.url))).catch(() => undefined);
    return workspace;
  };
  return tracked;
}
