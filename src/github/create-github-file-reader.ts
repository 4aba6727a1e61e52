import type { ReadRepoFiles } from "../builds/create-build-service.js";
import { MAX_PLANNING_FILE_BYTES } from "../builds/create-build-service.js";
import { planningFileLimit } from "../builds/plan-from-repo-files.js";
import { RepoConfigError } from "../builds/config/repo-config-error.js";
import type { OctokitFor } from "./installation-octokit.js";

/** One planning file may take this long to arrive; a slower GitHub is an infrastructure failure (planning is retried). */
const READ_TIMEOUT_MS = 30_000;

/**
 * Reads planning files of a GitHub repository at a commit through the
 * contents API (a few small GETs, no clone): queued check runs appear before
 * any checkout has started. A 404 means "no such file", and so does a JSON
 * answer (a directory listing, or a submodule: not a file), except for a
 * path ending in `/`: that asks for the directory's file names, one per line.
 *
 * GitHub serves files of up to 100 MB, and every byte is the repository's
 * choice: the body is asked for raw and streamed, never buffered whole, and
 * a file longer than its bound (declared or counted; {@link MAX_PLANNING_FILE_BYTES},
 * or `planningFileLimit` for uv.lock) is a config error naming it, with the download cancelled.
 */
export function createGitHubFileReader(octokitFor: OctokitFor): ReadRepoFiles {
  return async (request, paths) => {
    if (!request.repo.installationId) throw new Error(`${request.repo.name} has no installation: cannot read its files`);
    const octokit = await octokitFor(request.repo.installationId);
    const [owner = "", repo = ""] = request.repo.name.split("/");
    const entries = await Promise.all(
      paths.map(async (path): Promise<[string, string | undefined]> => {
        let response;
        try {
          response = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
            owner,
            repo,
            path: path.replace(/\/+$/, ""),
            ref: request.sha,
            mediaType: { format: "raw" },
            // The body stays a stream (Octokit would read it whole into a string).
            request: { parseSuccessResponseBody: false, signal: AbortSignal.timeout(READ_TIMEOUT_MS) },
          });
        } catch (error) {
          if ((error as { status?: number }).status === 404) return [path, undefined];
          throw error;
        }
        const body = response.data as unknown as ReadableStream<Uint8Array> | null;
        const isJson = /\bjson\b/i.test(String(response.headers["content-type"] ?? ""));
        const declared = Number(response.headers["content-length"] ?? Number.NaN);
        // A directory asked for as `dir/`: its listing (JSON), bounded like a file, as one file name per line.
        if (path.endsWith("/")) return [path, isJson ? listFiles(await readAtMost(path, body)) : (await body?.cancel().catch(() => undefined), undefined)];
        if (isJson || declared > planningFileLimit(path)) {
          await body?.cancel().catch(() => undefined);
          if (isJson) return [path, undefined];
          throw tooBig(path, `${declared} bytes`);
        }
        return [path, await readAtMost(path, body)];
      }),
    );
    return new Map(entries);
  };
}

/** The names of the files in a contents API directory listing; undefined when it is not one. */
function listFiles(json: string): string | undefined {
  let entries: unknown;
  try {
    entries = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(entries)) return undefined;
  return entries
    .flatMap((entry: { type?: unknown; name?: unknown }) => (entry?.type === "file" && typeof entry.name === "string" && !entry.name.includes("\n") ? [entry.name] : []))
    .join("\n");
}

/** The body as UTF-8 text, or a config error as soon as it passes the cap (the rest is never downloaded). */
async function readAtMost(path: string, body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > planningFileLimit(path)) {
      await reader.cancel().catch(() => undefined);
      throw tooBig(path, `over ${planningFileLimit(path)} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooBig(path: string, size: string): RepoConfigError {
  const limit = planningFileLimit(path);
  const bound = limit === MAX_PLANNING_FILE_BYTES ? `planning files of at most ${limit / 1024} KiB` : `${path} of at most ${limit / 1024 / 1024} MiB`;
  return new RepoConfigError({ file: path, message: `${path} is ${size}: Pony CI reads ${bound}.` });
}
