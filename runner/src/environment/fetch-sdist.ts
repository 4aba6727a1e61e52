import { execa } from "execa";
import { CancelledError } from "../../../src/domain/errors.js";

/**
 * Downloads a source distribution WITHOUT building it. `pip download
 * --no-binary` would run the package's setup.py on the host to read its
 * metadata; a repository can name any package, so that would run code the
 * repository chose outside a container. This script only reads the index's
 * HTML simple API (PEP 503, the index pip is configured with via
 * PIP_INDEX_URL, default PyPI) and the archive's pyproject.toml.
 */
const SCRIPT = String.raw`
import json, os, ssl, sys, tarfile, zipfile, hashlib, urllib.request, urllib.error
from html.parser import HTMLParser
from urllib.parse import urljoin
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.specifiers import SpecifierSet
from pip._vendor.packaging.version import Version
from pip._vendor.packaging.utils import canonicalize_name, parse_sdist_filename

req = Requirement(sys.argv[1]); target = Version(sys.argv[2]); dest = sys.argv[3]
index = (os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple/").rstrip("/") + "/"
url = index + canonicalize_name(req.name) + "/"
cafile = os.environ.get("PIP_CERT")
ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
def get(u):
    r = urllib.request.Request(u)
    return urllib.request.urlopen(r, timeout=60, context=ctx)
class Links(HTMLParser):
    def __init__(self):
        super().__init__(); self.files = []; self._a = None
    def handle_starttag(self, tag, attrs):
        if tag == "a": self._a = dict(attrs); self._text = ""
    def handle_data(self, d):
        if self._a is not None: self._text += d
    def handle_endtag(self, tag):
        if tag == "a" and self._a is not None:
            href = self._a.get("href", ""); frag = href.split("#", 1)[1] if "#" in href else ""
            self.files.append({"filename": self._text.strip(), "url": href.split("#", 1)[0],
                "requires-python": self._a.get("data-requires-python"), "yanked": "data-yanked" in self._a,
                "hashes": dict([frag.split("=", 1)]) if "=" in frag else {}})
            self._a = None
try:
    page = get(url).read().decode("utf-8", "replace")
except urllib.error.HTTPError as e:
    if e.code == 404:
        print(json.dumps({"error": "not-found"})); sys.exit(0)
    raise
links = Links(); links.feed(page)
data = {"files": links.files}
best = None
for f in data.get("files", []):
    name = f["filename"]
    if f.get("yanked") or not (name.endswith(".tar.gz") or name.endswith(".zip")):
        continue
    try:
        _, v = parse_sdist_filename(name)
    except Exception:
        continue
    rp = f.get("requires-python")
    try:
        if rp and target not in SpecifierSet(rp):
            continue
    except Exception:
        pass
    if v not in req.specifier:
        continue
    if best is None or v > best[0]:
        best = (v, f)
if best is None:
    print(json.dumps({"error": "not-found"})); sys.exit(0)
f = best[1]
path = os.path.join(dest, f["filename"])
body = get(urljoin(url, f["url"])).read()
want = f.get("hashes", {}).get("sha256")
if want and hashlib.sha256(body).hexdigest() != want:
    print(json.dumps({"error": "hash mismatch for " + f["filename"]})); sys.exit(1)
with open(path + ".part", "wb") as out:
    out.write(body)
os.replace(path + ".part", path)
text = None
try:
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.count("/") == 1 and n.endswith("/pyproject.toml")]
            text = z.read(names[0]).decode() if names else None
    else:
        with tarfile.open(path) as t:
            members = [m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")]
            text = t.extractfile(members[0]).read().decode() if members else None
except Exception:
    text = None
print(json.dumps({"file": f["filename"], "version": str(best[0]), "pyproject": text}))
`;

export interface FetchedSdist {
  /** File name inside `dest`. */
  file: string;
  version: string;
  /** The archive's top-level pyproject.toml, when it has one. */
  pyproject?: string;
}

/**
 * Fetch the newest source distribution matching `requirement` that supports
 * Python `python` into `dest`. Resolves undefined when the index has none;
 * throws (an Error with pip-like lines in its message) on network failure.
 */
export async function fetchSdist(
  requirement: string,
  options: { python: string; dest: string; interpreter?: string; signal?: AbortSignal },
): Promise<FetchedSdist | undefined> {
  const interpreter = options.interpreter ?? process.env.PONYCI_PYTHON ?? "python3";
  const result = await execa(interpreter, ["-c", SCRIPT, requirement, options.python, options.dest], {
    reject: false,
    stdin: "ignore",
    cancelSignal: options.signal,
  });
  if (result.isCanceled || options.signal?.aborted) throw new CancelledError();
  const last = String(result.stdout).trim().split("\n").at(-1) ?? "";
  let parsed: { error?: string; file?: string; version?: string; pyproject?: string | null } = {};
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    throw new Error(`fetching the source distribution of ${requirement} failed: ${String(result.stderr).trim().split("\n").slice(-3).join(" ")}`);
  }
  if (parsed.error === "not-found") return undefined;
  if (parsed.error || !parsed.file || !parsed.version) throw new Error(`fetching the source distribution of ${requirement} failed: ${parsed.error}`);
  return { file: parsed.file, version: parsed.version, pyproject: parsed.pyproject ?? undefined };
}
