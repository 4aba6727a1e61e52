import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { IN_CONTAINER } from "../docker/labels.js";
import { DEFAULT_HARNESS_DIR } from "./run-cell.js";

/**
 * The harness directory test containers mount. The host's Docker Engine
 * resolves bind mounts on the host: a runner in a container (its image has
 * the harness under /opt/ponyci) copies the harness into its data directory,
 * which is mounted at the same path on the host, under a name made of its
 * content (an upgrade gets a new one). On the host, the installed harness is
 * used as it is.
 */
export function harnessDirFor(dataDir: string, options: { inContainer?: boolean; source?: string } = {}): string {
  const source = options.source ?? DEFAULT_HARNESS_DIR;
  if (!(options.inContainer ?? IN_CONTAINER)) return source;
  const files = readdirSync(source).filter((file) => file.endsWith(".py")).sort();
  const hash = createHash("sha256");
  for (const file of files) hash.update(file).update("\0").update(readFileSync(path.join(source, file)));
  const target = path.join(dataDir, "harness", hash.digest("hex").slice(0, 16));
  if (existsSync(target)) return target;
  const partial = `${target}.tmp-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true, mode: 0o755 });
  chmodSync(partial, 0o755);
  for (const file of files) {
    copyFileSync(path.join(source, file), path.join(partial, file));
    chmodSync(path.join(partial, file), 0o644);
  }
  try {
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(target)) throw error; // another runner on this data directory staged it first: fine
  }
  return target;
}
