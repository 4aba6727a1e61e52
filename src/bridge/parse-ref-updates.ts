import { BridgeRequestError } from "./bridge-request-error.js";

/** One line of post-receive input: `<old-sha> <new-sha> <ref>`. */
export interface RefUpdate {
  oldSha: string;
  newSha: string;
  ref: string;
}

const LINE = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/[^\s\0]+)$/;

/** The all-zero sha git uses for "no commit" (a created or deleted ref). */
export function isZeroSha(sha: string): boolean {
  return /^0+$/.test(sha);
}

/**
 * Parses the body the hook forwards: exactly what git feeds post-receive, one
 * `<old-sha> <new-sha> <ref>` per line (LF or CRLF; a trailing newline is
 * fine). Pure.
 * @throws BridgeRequestError 400 naming the bad line
 */
export function parseRefUpdates(body: string): RefUpdate[] {
  const lines = body.split("\n").map((line) => line.replace(/\r$/, ""));
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) {
    throw new BridgeRequestError(400, "empty body: send the lines `<old-sha> <new-sha> <ref>` that git feeds the post-receive hook");
  }
  return lines.map((line, index) => {
    const match = LINE.exec(line);
    if (!match) {
      const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
      throw new BridgeRequestError(400, `malformed line ${index + 1} ${JSON.stringify(shown)}: expected \`<old-sha> <new-sha> <ref>\` as git feeds the post-receive hook`);
    }
    return { oldSha: match[1] as string, newSha: match[2] as string, ref: match[3] as string };
  });
}
