import { execa } from "execa";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import path from "node:path";

/** A host interpreter for Python `version` ("3.13"): pyenv's, else python3.X on PATH. */
export function hostPythonFor(version: string): string {
  const root = path.join(process.env.PYENV_ROOT ?? path.join(homedir(), ".pyenv"), "versions");
  if (existsSync(root)) {
    const found = readdirSync(root).filter((v) => v === version || v.startsWith(`${version}.`)).sort().at(-1);
    if (found && existsSync(path.join(root, found, "bin", `python${version}`))) return path.join(root, found, "bin", `python${version}`);
  }
  return `python${version}`;
}

/**
 * The floor of a cold environment (issue 28): the same set installed by uv on
 * the host, no container, into a fresh virtualenv with `cacheDir` as uv's
 * cache (empty: cold, from the index, like the cold cell). Returns the wall
 * time in ms; the virtualenv is removed.
 */
export async function hostUvInstall(options: { uv: string; python: string; requirements: string[]; cacheDir: string }): Promise<number> {
  const dir = await mkdtemp(path.join(tmpdir(), "ponyci-floor-"));
  const env = { ...process.env, UV_CACHE_DIR: options.cacheDir, UV_NO_PROGRESS: "1", UV_PYTHON_DOWNLOADS: "never" };
  const t0 = performance.now();
  try {
    await execa(options.uv, ["venv", "--quiet", "--python", hostPythonFor(options.python), path.join(dir, "venv")], { env });
    await execa(options.uv, ["pip", "install", "--quiet", "--python", path.join(dir, "venv", "bin", "python"), ...options.requirements], { env });
    return performance.now() - t0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
