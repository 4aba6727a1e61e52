import { execa } from "execa";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A file the index serves: `project` is the PEP 503-normalised name. */
export interface IndexedFile {
  project: string;
  filename: string;
  body: Buffer;
  /** Served as the sha256 (default: the body's real one). */
  sha256?: string;
  /** PEP 691 `requires-python` and `yanked` (JSON form only). */
  requiresPython?: string;
  yanked?: boolean;
  /** PEP 658: served at `<file url>.metadata`, and the JSON page says `core-metadata`. */
  coreMetadata?: string;
}

export interface PackageIndex {
  /** "http://127.0.0.1:<port>/simple/" */
  url: string;
  /** Every path requested, in order. */
  requests: string[];
  /** How many file requests asked for a byte range (answered 206, as PyPI's file host does). */
  rangeRequests: number;
  add(file: IndexedFile): void;
  close(): Promise<void>;
}

/**
 * A package index on 127.0.0.1 for tests: the simple API in both forms,
 * PEP 691 JSON when the Accept header asks for it (as pip and Pony CI do),
 * PEP 503 HTML otherwise, and the files under /files/.
 */
export async function startPackageIndex(files: IndexedFile[] = []): Promise<PackageIndex> {
  const all = [...files];
  const requests: string[] = [];
  const index: PackageIndex = {
    url: "",
    requests,
    rangeRequests: 0,
    add: (file) => void all.push(file),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push(url.pathname);
    const page = /^\/simple\/([^/]+)\/?$/.exec(url.pathname);
    if (page) {
      const project = decodeURIComponent(page[1] ?? "");
      const mine = all.filter((f) => f.project === project);
      if (mine.length === 0) return void res.writeHead(404).end("not found");
      const sha = (f: IndexedFile) => f.sha256 ?? createHash("sha256").update(f.body).digest("hex");
      if (String(req.headers.accept ?? "").includes("application/vnd.pypi.simple.v1+json")) {
        const body = JSON.stringify({
          meta: { "api-version": "1.0" },
          name: project,
          files: mine.map((f) => ({
            filename: f.filename, url: `/files/${f.filename}`, hashes: { sha256: sha(f) },
            ...(f.requiresPython ? { "requires-python": f.requiresPython } : {}),
            ...(f.yanked ? { yanked: true } : {}),
            ...(f.coreMetadata ? { "core-metadata": true } : {}),
          })),
        });
        return void res.writeHead(200, { "Content-Type": "application/vnd.pypi.simple.v1+json" }).end(body);
      }
      const links = mine.map((f) => `<a href="/files/${f.filename}#sha256=${sha(f)}">${f.filename}</a>`).join("\n");
      return void res.writeHead(200, { "Content-Type": "text/html" }).end(`<!DOCTYPE html><html><body>${links}</body></html>`);
    }
    const file = /^\/files\/([^/]+)$/.exec(url.pathname);
    const name = decodeURIComponent(file?.[1] ?? "");
    const metadataOf = name.endsWith(".metadata") ? all.find((f) => f.filename === name.slice(0, -".metadata".length) && f.coreMetadata) : undefined;
    if (metadataOf?.coreMetadata) return void res.writeHead(200, { "Content-Type": "text/plain" }).end(metadataOf.coreMetadata);
    const found = file ? all.find((f) => f.filename === name) : undefined;
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ""));
    if (found && range) {
      index.rangeRequests++;
      const size = found.body.length;
      const start = range[1] === "" ? Math.max(0, size - Number(range[2])) : Number(range[1]);
      const end = range[1] === "" || range[2] === "" ? size - 1 : Math.min(size - 1, Number(range[2]));
      return void res.writeHead(206, { "Content-Type": "application/octet-stream", "Content-Range": `bytes ${start}-${end}/${size}` }).end(found.body.subarray(start, end + 1));
    }
    if (found) return void res.writeHead(200, { "Content-Type": "application/octet-stream" }).end(found.body);
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  index.url = `http://127.0.0.1:${port}/simple/`;
  return index;
}

/** Build an sdist or a pure-Python wheel with make_distribution.py into `dir`; the file, ready to serve. */
export async function makeDistribution(kind: "sdist" | "wheel", dir: string, name: string, version: string, files: Record<string, string> = {}): Promise<IndexedFile> {
  const { stdout } = await execa("python3", [path.join(HERE, "make_distribution.py"), kind, dir, name, version, JSON.stringify(files)]);
  const filename = stdout.trim();
  return { project: name.toLowerCase().replace(/[-_.]+/g, "-"), filename, body: await readFile(path.join(dir, filename)) };
}

/** A setup.py that leaves `marker` on whatever machine runs it: the proof that a repository's code ran. */
export function markerSetupPy(marker: string, name: string, version: string): string {
  return `import pathlib\npathlib.Path(${JSON.stringify(marker)}).write_text("setup.py ran")\nfrom setuptools import setup\nsetup(name=${JSON.stringify(name)}, version=${JSON.stringify(version)})\n`;
}

/**
 * The files of an sdist that leaves `marker` wherever it is built, needing
 * nothing from the index: an in-tree PEP 517 backend (no setuptools) whose
 * import writes the marker, then builds a real wheel (plus `extra` Python
 * run before it: a fork bomb, a loop, a flood, stray wheels).
 */
export function markerSdistFiles(marker: string, name: string, version: string, extra = ""): Record<string, string> {
  const dist = name.replace(/-/g, "_");
  return {
    "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
    "backend.py": [
      "import os, pathlib, zipfile",
      `try:\n    pathlib.Path(${JSON.stringify(marker)}).write_text("backend ran")\nexcept OSError:\n    pass`,
      `NAME, VERSION = ${JSON.stringify(dist)}, ${JSON.stringify(version)}`,
      "def _wheel(directory, name, version):",
      "    filename = f'{name}-{version}-py3-none-any.whl'",
      "    info = f'{name}-{version}.dist-info'",
      "    with zipfile.ZipFile(os.path.join(directory, filename), 'w') as z:",
      "        z.writestr(f'{info}/METADATA', f'Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n')",
      "        z.writestr(f'{info}/WHEEL', 'Wheel-Version: 1.0\\nGenerator: x\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')",
      "        z.writestr(f'{info}/RECORD', '')",
      "    return filename",
      "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):",
      ...extra.split("\n").filter(Boolean).map((line) => `    ${line}`),
      "    return _wheel(wheel_directory, NAME, VERSION)",
      "def build_sdist(sdist_directory, config_settings=None):",
      "    raise NotImplementedError",
      "",
    ].join("\n"),
  };
}
