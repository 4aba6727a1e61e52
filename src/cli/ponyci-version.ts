import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Pony CI's version: package.json's, found from this file up (src/cli in a
 * checkout, dist/src/cli once built, the package root once installed).
 * "unknown" when no package.json named ponyci is found.
 */
export function ponyciVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (manifest.name === "ponyci" && typeof manifest.version === "string") return manifest.version;
    } catch {
      // No package.json here (or not readable): look one level up.
    }
    dir = path.dirname(dir);
  }
  return "unknown";
}
