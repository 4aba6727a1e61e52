import type Docker from "dockerode";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CancelledError, describeError } from "../../../../src/domain/errors.js";
import { LABEL_MANAGED } from "../../docker/labels.js";
import { EnvironmentError } from "../../../../src/domain/environment-error.js";

/**
 * Debian packages a Django project's source distributions build against:
 * a C compiler, pkg-config, the PostgreSQL and MySQL/MariaDB client
 * libraries (psycopg2, mysqlclient), libjpeg, zlib and freetype (Pillow),
 * libxml2/libxslt (lxml), libffi (cffi), GDAL, GEOS and PROJ (GeoDjango).
 * The runtime libraries are not listed: they are what these packages
 * depend on, asked from the suite's own apt (so no table of package names
 * per Debian release).
 */
export const TOOLCHAIN_DEV_PACKAGES = [
  "build-essential", "pkg-config", "libpq-dev", "libmariadb-dev", "libmariadb-dev-compat", "libjpeg-dev", "zlib1g-dev",
  "libfreetype-dev", "libxml2-dev", "libxslt1-dev", "libffi-dev", "libgdal-dev", "libgeos-dev", "libproj-dev",
];
/** Bumped when the images' recipe changes: new names, built anew. */
const TOOLCHAIN_VERSION = 1;
export const LABEL_TOOLCHAIN_BASE = "org.ponyci.toolchain.base";
export const LABEL_TOOLCHAIN_KIND = "org.ponyci.toolchain.kind";

export type ToolchainKind = "runtime" | "build";

export interface ToolchainImages {
  /**
   * The image source distributions are built in: `base` plus a compiler
   * and the headers above (FROM the runtime image). Built once per base
   * image id, lazily, when a cell first needs it.
   */
  buildImage(base: string, options?: ToolchainOptions): Promise<string>;
  /** The image a cell whose environment holds wheels built from source runs in: `base` plus those libraries' runtime packages. */
  runtimeImage(base: string, options?: ToolchainOptions): Promise<string>;
}

export interface ToolchainOptions {
  signal?: AbortSignal;
  /** Progress ("ponyci: …" lines) and apt's output. */
  onLine?: (line: string) => void;
}

/**
 * The image derivation: a function of the base image reference (whatever
 * resolves it: ponyci/python:X.Y, python:X.Y-slim, an operator's own), its
 * name derived from the base image's id and the recipe, so a rebuilt base
 * gets new toolchain images and environments keyed on them. apt runs at
 * image build time, a trusted step with host networking (Debian's mirror,
 * the suite's own apt sources): no repository code is involved, and the
 * containers that later use these images have no network. Concurrent
 * callers share one build per image.
 */
export function createToolchainImages(options: { docker: Docker; devPackages?: readonly string[] }): ToolchainImages {
  const { docker } = options;
  const packages = [...(options.devPackages ?? TOOLCHAIN_DEV_PACKAGES)];
  const pending = new Map<string, Promise<string>>();

  const ensure = (kind: ToolchainKind, base: string, opts: ToolchainOptions): Promise<string> => {
    const key = `${kind}|${base}`;
    let job = pending.get(key);
    if (!job) {
      job = ensureImage(kind, base, opts).finally(() => pending.delete(key));
      pending.set(key, job);
    }
    return job;
  };

  async function ensureImage(kind: ToolchainKind, base: string, opts: ToolchainOptions): Promise<string> {
    const baseId = await inspectId(base);
    if (!baseId) throw new EnvironmentError("infrastructure", `Base image ${base} is missing: the toolchain image cannot be derived from it`);
    const name = toolchainImageName(kind, baseId, packages);
    if (await inspectId(name)) return name;
    const from = kind === "build" ? await ensure("runtime", base, opts) : baseId;
    opts.onLine?.(`ponyci: preparing the ${kind === "build" ? "build toolchain (compiler and headers)" : "runtime libraries"} for ${base}: once per base image`);
    const t0 = Date.now();
    await buildImage(name, toolchainDockerfile(kind, from, packages), { [LABEL_TOOLCHAIN_BASE]: base, [LABEL_TOOLCHAIN_KIND]: kind }, opts);
    opts.onLine?.(`ponyci: ${name} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return name;
  }

  async function inspectId(name: string): Promise<string | undefined> {
    try {
      return (await docker.getImage(name).inspect()).Id;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw new EnvironmentError("infrastructure", `Docker could not inspect ${name}: ${describeError(error)}`, { cause: error });
    }
  }

  async function buildImage(name: string, dockerfile: string, labels: Record<string, string>, opts: ToolchainOptions): Promise<void> {
    if (opts.signal?.aborted) throw new CancelledError();
    const dir = await mkdtemp(join(tmpdir(), "ponyci-toolchain-"));
    const tail: string[] = [];
    try {
      await writeFile(join(dir, "Dockerfile"), dockerfile);
      const stream = await docker.buildImage({ context: dir, src: ["Dockerfile"] }, { t: name, networkmode: "host", labels: { [LABEL_MANAGED]: "1", ...labels }, rm: true, forcerm: true, abortSignal: opts.signal });
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(
          stream,
          (error: Error | null, output: { error?: string }[]) => {
            const failed = error?.message ?? output?.find((o) => o.error)?.error;
            if (failed) reject(new Error(failed));
            else resolve();
          },
          (event: { stream?: string; error?: string }) => {
            for (const line of (event.stream ?? event.error ?? "").split("\n")) {
              if (!line.trim()) continue;
              tail.push(line);
              if (tail.length > 20) tail.shift();
              opts.onLine?.(line);
            }
          },
        );
      });
    } catch (error) {
      if (opts.signal?.aborted) throw new CancelledError();
      throw new EnvironmentError("infrastructure", `Building ${name} failed: ${describeError(error)}\n${tail.slice(-10).join("\n")}`, { cause: error });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    buildImage: (base, opts = {}) => ensure("build", base, opts),
    runtimeImage: (base, opts = {}) => ensure("runtime", base, opts),
  };
}

/** `ponyci/toolchain-build:<hash>`: the hash of the base image id and the recipe (its Dockerfile, the packages). */
export function toolchainImageName(kind: ToolchainKind, baseId: string, packages: readonly string[]): string {
  const recipe = toolchainDockerfile(kind, baseId, packages);
  const hash = createHash("sha256").update(JSON.stringify({ v: TOOLCHAIN_VERSION, kind, baseId, recipe })).digest("hex").slice(0, 16);
  return `ponyci/toolchain-${kind}:${hash}`;
}

/**
 * The Dockerfile of one toolchain image. runtime: the first-level library
 * dependencies of the -dev packages (`apt-cache depends`: libpq5,
 * libmariadb3, libgdal32 …, whatever the suite names them). build: the
 * -dev packages themselves, FROM the runtime image. Pure.
 */
export function toolchainDockerfile(kind: ToolchainKind, from: string, packages: readonly string[]): string {
  const list = packages.join(" ");
  const install =
    kind === "runtime"
      ? `libs=$(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances ${list} | awk '$1 == "Depends:" && $2 ~ /^lib/ && $2 !~ /-dev$/ {print $2}' | sort -u); ` +
        `apt-get install -y --no-install-recommends $libs`
      : `apt-get install -y --no-install-recommends ${list}; ` +
        // Python's own headers: Debian's python3-dev where the interpreter is Debian's (python:X.Y-slim ships them in /usr/local).
        `inc=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])'); [ -e "$inc/Python.h" ] || apt-get install -y --no-install-recommends python3-dev`;
  return [
    `FROM ${from}`,
    "USER root",
    `RUN set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -q; ${install}; apt-get clean; rm -rf /var/lib/apt/lists/*`,
    "",
  ].join("\n");
}
