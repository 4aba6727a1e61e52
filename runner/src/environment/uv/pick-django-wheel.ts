import type { IndexFile } from "../fetch-sdist.js";
import type { LockedWheel } from "./resolve-with-uv.js";

/**
 * Django `version`'s pure-Python wheel on a PEP 691 project page (the one
 * file Django publishes per release: `Django-X-py3-none-any.whl`), as the
 * wheel fetcher takes it: never a yanked file, never one without a sha256
 * (the download is checked against it), its URL resolved against the page's.
 * Undefined when the page has no such file. The file name comes from the
 * index: it must be exactly Django's wheel of this version, so no index can
 * name another path.
 */
export function pickDjangoWheel(files: readonly IndexFile[], pageUrl: string, version: string): LockedWheel | undefined {
  const wanted = `django-${version}-py3-none-any.whl`;
  for (const file of files) {
    if (!file || typeof file.filename !== "string" || typeof file.url !== "string" || file.yanked) continue;
    if (file.filename.toLowerCase() !== wanted) continue;
    const sha256 = file.hashes?.sha256;
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) continue;
    let url: URL;
    try {
      url = new URL(file.url, pageUrl);
    } catch {
      continue;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") continue;
    return { name: "django", version, file: file.filename, url: url.toString(), sha256 };
  }
  return undefined;
}
