import { compare, satisfies, valid } from "@renovatebot/pep440";
import { execa } from "execa";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CancelledError } from "../../../src/domain/errors.js";
import { admitsPython } from "../../../src/domain/pick-django-release.js";
import { hostPythonEnv, type HostPython } from "../../../src/domain/host-python.js";
import { normalizeName, type Requirement } from "../../../src/domain/parse-requirement.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** runner/src/environment/python, from the sources or from dist/ (tsc does not copy .py files). */
export const PYTHON_HELPERS_DIR = path.resolve(HERE, HERE.includes(`${path.sep}dist${path.sep}`) ? "../../../../runner/src/environment/python" : "python");

/** PEP 691: the JSON form of the simple API. */
export const SIMPLE_JSON = "application/vnd.pypi.simple.v1+json";
/** A project page bigger than this is refused (Django's is about 1 MiB). */
export const MAX_INDEX_PAGE_BYTES = 32 * 1024 * 1024;
/** A source distribution bigger than this is refused. */
export const MAX_SDIST_BYTES = 200 * 1024 * 1024;
const MAX_PYPROJECT_BYTES = 256 * 1024;
const HTTP_TIMEOUT_SEC = 60;

export interface FetchedSdist {
  /** File name inside `dest`. */
  file: string;
  /** Normalised project name, as the file name gives it. */
  project: string;
  version: string;
  /** The sha256 the index gave, which the file was checked against. */
  sha256: string;
  /** The archive's top-level pyproject.toml, when it has one. */
  pyproject?: string;
}

export interface FetchSdistOptions {
  /** Target Python, "3.11": files whose Requires-Python excludes it are skipped. */
  python: string;
  dest: string;
  host: HostPython;
  signal?: AbortSignal;
}

/** One file of a PEP 691 project page, as far as it is used here. */
export interface IndexFile {
  filename: string;
  url: string;
  hashes?: Record<string, string>;
  "requires-python"?: string | null;
  yanked?: boolean | string;
}

/**
 * Download, WITHOUT building it, the newest source distribution matching
 * `requirement` that supports Python `python`. `pip download --no-binary`
 * would run the package's setup.py on the host to read its metadata; this
 * reads the index's JSON simple API (PEP 691) instead, picks the file itself
 * (PEP 440 through @renovatebot/pep440), checks it against the sha256 the
 * index gives (a file without one is refused), and reads the archive's
 * pyproject.toml without extracting it. HTTP goes through the host's Python
 * (python/http_get.py) for the system trust store.
 * Resolves undefined when the index has no such file; throws an Error on
 * network trouble or a bad index answer; CancelledError on abort.
 */
export async function fetchSdist(requirement: Requirement, options: FetchSdistOptions): Promise<FetchedSdist | undefined> {
  const scratch = await mkdtemp(path.join(options.dest, ".index-"));
  try {
    const page = await fetchProjectPage(requirement.name, { host: options.host, scratchDir: scratch, signal: options.signal });
    if (!page) return undefined;
    const best = pickSdist(page.files, requirement, options.python);
    if (!best) return undefined;
    const sha256 = best.file.hashes?.sha256;
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`the index gives no sha256 for ${best.file.filename}: refusing it`);
    const target = path.join(options.dest, best.file.filename);
    const fileUrl = new URL(best.file.url, page.url).toString();
    const got = await httpGet(fileUrl, "*/*", target, MAX_SDIST_BYTES, options);
    if (got.status !== 200) throw new Error(`the index answered HTTP ${got.status} for ${fileUrl}`);
    if (got.sha256 !== sha256) {
      await rm(target, { force: true });
      throw new Error(`${best.file.filename} does not match the sha256 the index gives`);
    }
    const pyproject = await readSdistPyproject(target, options);
    return { file: best.file.filename, project: best.project, version: best.version, sha256, pyproject };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * A project's page of the index in PEP 691 JSON (at most
 * MAX_INDEX_PAGE_BYTES), fetched through the host's Python into
 * `scratchDir`: its files and the page's URL, or undefined when the index
 * does not know the project. Throws an Error on network trouble or an
 * answer that is not PEP 691 JSON; CancelledError on abort.
 */
export async function fetchProjectPage(project: string, options: { host: HostPython; scratchDir: string; signal?: AbortSignal }): Promise<{ url: string; files: IndexFile[] } | undefined> {
  const index = options.host.indexUrl.endsWith("/") ? options.host.indexUrl : `${options.host.indexUrl}/`;
  const pageUrl = new URL(`${project}/`, index).toString();
  const pageFile = path.join(options.scratchDir, `${project}.page.json`);
  try {
    const page = await httpGet(pageUrl, SIMPLE_JSON, pageFile, MAX_INDEX_PAGE_BYTES, options);
    if (page.status === 404) return undefined;
    if (page.status !== 200) throw new Error(`the index answered HTTP ${page.status} for ${pageUrl}`);
    if (!page.contentType?.includes("application/vnd.pypi.simple.v1+json")) {
      throw new Error(`the index did not answer ${pageUrl} in PEP 691 JSON (Content-Type ${page.contentType || "none"}): use an index that serves ${SIMPLE_JSON}`);
    }
    try {
      const parsed = JSON.parse(await readFile(pageFile, "utf8")) as { files?: unknown };
      return { url: pageUrl, files: Array.isArray(parsed.files) ? (parsed.files as IndexFile[]) : [] };
    } catch (error) {
      throw new Error(`the index's page for ${project} is not JSON`, { cause: error });
    }
  } finally {
    await rm(pageFile, { force: true });
  }
}

/** The newest non-yanked sdist of `requirement.name` its specifiers and Requires-Python admit. */
export function pickSdist(files: IndexFile[], requirement: Requirement, python: string): { file: IndexFile; project: string; version: string } | undefined {
  const specifier = requirement.specifiers.map((s) => `${s.operator}${s.version}`).join(",");
  let best: { file: IndexFile; project: string; version: string } | undefined;
  for (const file of files) {
    if (!file || typeof file.filename !== "string" || typeof file.url !== "string" || file.yanked) continue;
    const parsed = parseSdistFilename(file.filename);
    if (!parsed || parsed.project !== requirement.name) continue;
    if (specifier && !satisfies(parsed.version, specifier)) continue;
    const requiresPython = file["requires-python"];
    if (typeof requiresPython === "string" && requiresPython.trim() && !admitsPython(requiresPython, python)) continue;
    if (!best || compare(parsed.version, best.version) > 0) best = { file, ...parsed };
  }
  return best;
}

/** "Foo_Bar-1.2.tar.gz" → { project: "foo-bar", version: "1.2" } (PEP 625, and the legacy spellings). */
export function parseSdistFilename(filename: string): { project: string; version: string } | undefined {
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*?)-([0-9][A-Za-z0-9.!+_-]*)\.(tar\.gz|zip)$/.exec(filename);
  if (!m || !m[1] || !m[2] || valid(m[2]) === null) return undefined;
  return { project: normalizeName(m[1]), version: m[2] };
}

async function httpGet(url: string, accept: string, dest: string, maxBytes: number, options: { host: HostPython; signal?: AbortSignal }) {
  const result = await runHelper("http_get.py", [url, accept, dest, String(maxBytes), String(HTTP_TIMEOUT_SEC), options.host.certFile ?? ""], options);
  if (result.error) throw new Error(`fetching ${url} failed: ${result.error}`);
  return { status: Number(result.status), sha256: result.sha256 as string | undefined, contentType: result.content_type as string | undefined };
}

async function readSdistPyproject(archive: string, options: FetchSdistOptions): Promise<string | undefined> {
  const result = await runHelper("read_sdist_pyproject.py", [archive, String(MAX_PYPROJECT_BYTES)], options);
  if (result.error) throw new Error(`reading ${path.basename(archive)} failed: ${result.error}`);
  return typeof result.pyproject === "string" ? result.pyproject : undefined;
}

async function runHelper(script: string, args: string[], options: { host: HostPython; signal?: AbortSignal }): Promise<Record<string, unknown>> {
  const result = await execa(options.host.python, ["-I", path.join(PYTHON_HELPERS_DIR, script), ...args], {
    reject: false,
    stdin: "ignore",
    extendEnv: false,
    env: hostPythonEnv(options.host),
    cancelSignal: options.signal,
    timeout: (HTTP_TIMEOUT_SEC + 30) * 1000 * 4,
    maxBuffer: 1024 * 1024,
  });
  if (result.isCanceled || options.signal?.aborted) throw new CancelledError();
  const last = String(result.stdout).trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`${script} failed: ${String(result.stderr).trim().split("\n").slice(-3).join(" ") || result.shortMessage}`);
  }
}
