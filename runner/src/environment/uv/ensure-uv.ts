import { execa } from "execa";
import { access, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { EnvironmentError } from "../../../../src/domain/environment-error.js";
import { defaultHostPython, hostPythonEnv, type HostPython } from "../../../../src/domain/host-python.js";
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
 * the index's sha256 checked) of `uv==UV_VERSION` for this host, then the
 * one member `uv-<version>.data/scripts/uv` taken out of that wheel by the
 * host's own zipfile (a second pip run to unpack it cost a second and a
 * half). Built aside and renamed into place, so concurrent processes and
 * crashes never see half a tool. Throws EnvironmentError "infrastructure"
 * when uv cannot be fetched.
 */
export async function ensureUv(options: { toolsDir: string; runPip: PipRunner; host?: HostPython; signal?: AbortSignal }): Promise<string> {
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
    const host = options.host ?? defaultHostPython();
    const unpack = await execa(host.python, ["-I", "-c", EXTRACT_UV, join(wheels, file), `uv-${UV_VERSION}.data/scripts/uv`, join(target, "bin", "uv")], {
      extendEnv: false, env: hostPythonEnv(host), reject: false, cancelSignal: options.signal, timeout: 60_000,
    });
    if (unpack.exitCode !== 0 || !(await exists(join(target, "bin", "uv")))) {
      throw new EnvironmentError("infrastructure", `Could not unpack uv ${UV_VERSION}: ${String(unpack.stderr).split("\n").slice(-3).join(" ")}`);
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

/** argv: wheel, member, destination. Copies one named member (a name Pony CI chose) out of the zip, executable. */
const EXTRACT_UV = `
import os, shutil, sys, zipfile
wheel, member, dest = sys.argv[1:4]
os.makedirs(os.path.dirname(dest), exist_ok=True)
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out)
os.chmod(dest, 0o755)
`;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
