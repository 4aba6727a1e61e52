/**
 * A runner in a container mounts the harness into test containers from its
 * data directory (the host's Docker Engine resolves bind mounts on the host,
 * where the image's /opt/ponyci does not exist); on the host, from where it
 * is installed.
 */
import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { harnessDirFor } from "../../runner/src/cell/stage-harness.js";
import { DEFAULT_HARNESS_DIR } from "../../runner/src/cell/run-cell.js";

describe("harnessDirFor", () => {
  it("is the installed harness on the host", () => {
    expect(harnessDirFor("/nonexistent", { inContainer: false })).toBe(DEFAULT_HARNESS_DIR);
  });

  it("is a copy under the data directory in a container, named by its content, made once", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-harness-"));
    try {
      const staged = harnessDirFor(dataDir, { inContainer: true });
      expect(path.dirname(staged)).toBe(path.join(dataDir, "harness"));
      const files = readdirSync(DEFAULT_HARNESS_DIR).filter((file) => file.endsWith(".py")).sort();
      expect(readdirSync(staged).sort()).toEqual(files);
      for (const file of files) expect(readFileSync(path.join(staged, file), "utf8")).toBe(readFileSync(path.join(DEFAULT_HARNESS_DIR, file), "utf8"));
      expect(statSync(staged).mode & 0o777).toBe(0o755);
      expect(statSync(path.join(staged, "ponyci_harness.py")).mode & 0o777).toBe(0o644);
      expect(harnessDirFor(dataDir, { inContainer: true })).toBe(staged);
      expect(readdirSync(path.join(dataDir, "harness"))).toEqual([path.basename(staged)]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
