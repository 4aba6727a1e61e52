import { EnvironmentError } from "../../../src/domain/environment-error.js";
import { parseRequirement } from "../../../src/domain/parse-requirement.js";

/**
 * Host pip evaluates environment markers for the host's Python, not the
 * target's (`--python-version` only selects wheels), so a dependency such as
 * `typing_extensions; python_version < "3.11"` is not downloaded for a 3.9
 * image. The offline install then names it ("No matching distribution found
 * for …"): download it for the target, without its marker, and install again.
 * https://github.com/pypa/pip/issues/5453
 */
export async function installWithMarkerDeps(options: {
  /** How many marker rounds at most. */
  retries: number;
  install: (files: string[]) => Promise<string[]>;
  download: (requirement: string, round: number) => Promise<string[]>;
  files: string[];
  onLine?: (line: string) => void;
}): Promise<string[]> {
  const files = [...options.files];
  for (let round = 1; ; round++) {
    try {
      return await options.install(files);
    } catch (error) {
      const printed = /No matching distribution found for ([^;\n(]+)/.exec(error instanceof Error ? error.message : "")?.[1]?.trim();
      // pip printed it inside the container: used only when it parses as a plain requirement.
      const missing = printed ? parsesAsRequirement(printed) : undefined;
      if (!(error instanceof EnvironmentError) || !missing || round > options.retries) throw error;
      options.onLine?.(`ponyci: ${missing} is needed on this Python only (an environment marker): downloading it`);
      for (const name of await options.download(missing, round)) if (!files.includes(name)) files.push(name);
    }
  }
}

function parsesAsRequirement(text: string): string | undefined {
  try {
    const requirement = parseRequirement(text);
    return requirement.marker ? undefined : text.trim();
  } catch {
    return undefined;
  }
}
