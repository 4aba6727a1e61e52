import { access, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { EnvironmentError } from "../environment-error.js";
import type { PipRunner } from "../run-pip.js";

/**
 * The uv release Pony CI resolves and installs with: pinned, so a new
 * release changes nothing until someone bumps it here (and the environment
 * keys with it, see ENVIRONMENT_BUILDER_VERSION).
 */
export const UV_VERSION = "0.13.9";

/**
 * The path of the uv binary under `toolsDir`, installing it the first time
 * from the operator's index through host pip: `pip download` (binary-only,
 * the index's sha256 checked) of `uv==UV_VERSION` for this host, then `pip
 * install --no-index --target` of that wheel, which only unpacks it (a
 * wheel runs no code when installed). Built aside and renamed into place,
 * so concurrent processes and crashes never see half a tool. Throws
 * EnvironmentError "infrastructure" when uv cannot be fetched.
 */
export async function ensureUv(options: { toolsDir: string; runPip: PipRunner; signal?: AbortSignal }): Promise<string> {
  const home = join(options.toolsDir, `uv-${UV_VERSION}`);
  const binary = join(home, "bin", "uv");
  if (await exists(binary)) return binary;
  await mkdir(options.toolsDir, { recursive: true });
  const scratch = await mkdtemp(join(options.toolsDir, ".uv-"));
  try {
    const wheels = join(scratch, "wheel");
    const download = await options.runPip(["download", "--no-deps", "--dest", wheels, "--", `uv==${UV_VERSION}`], { signal: options.signal });
    const file = download.exitCode === 0 ? (await readdir(wheels)).find((name) => name.endsWith(".whl")) : undefined;
    if (!file) throw new EnvironmentError("infrastructure", `Could not download uv ${UV_VERSION} from the package index:\n${download.lines.slice(-5).join("\n")}`);
    const target = join(scratch, "uv");
    const install = await options.runPip(["install", "--no-index", "--no-deps", "--target", target, join(wheels, file)], { signal: options.signal });
    if (install.exitCode !== 0 || !(await exists(join(target, "bin", "uv")))) {
      throw new EnvironmentError("infrastructure", `Could not unpack uv ${UV_VERSION}:\n${install.lines.slice(-5).join("\n")}`);
    }
    await rename(target, home).catch(async (error: NodeJS.ErrnoException) => {
      // Another process got there first: theirs is as good.
      if (!(await exists(binary))) throw error;
    });
    return binary;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
