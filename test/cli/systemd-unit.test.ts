/**
 * docs/ponyci.service runs `ponyci serve` as a system user. Its runner hands
 * each job's workspace to the test user and takes it back (run-cell's
 * `chown -R`, the environment store's chown to the build user, removals of
 * what those users wrote): the unit must grant exactly what that needs. Run
 * here as `nobody` with the unit's ambient capabilities (setpriv), as
 * systemd would (issue 23: an empty set made every cell fail).
 */
import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const unit = readFileSync(new URL("../../docs/ponyci.service", import.meta.url), "utf8");
const setting = (key: string) => unit.split("\n").find((line) => line.startsWith(`${key}=`))?.slice(key.length + 1).trim().split(/\s+/).filter(Boolean) ?? [];

describe("the systemd unit", () => {
  it("grants the runner what it does to workspaces, and no capability beyond its bounding set", async () => {
    const ambient = setting("AmbientCapabilities");
    const bounding = setting("CapabilityBoundingSet");
    expect(ambient.every((cap) => bounding.includes(cap))).toBe(true);
    expect(setting("NoNewPrivileges")).toEqual(["yes"]);
    const caps = ambient.map((cap) => `+${cap.replace(/^CAP_/, "").toLowerCase()}`).join(",");
    const dir = mkdtempSync(path.join(tmpdir(), "ponyci-unit-"));
    chmodSync(dir, 0o777);
    const jobDir = path.join(dir, "job");
    mkdirSync(path.join(jobDir, "workspace", "pkg"), { recursive: true });
    writeFileSync(path.join(jobDir, "workspace", "pkg", "tests.py"), "");
    // What the service user does: give the workspace to the test user, let "tests" write there as that user, take it back, remove it.
    const script = `
      const { execFileSync } = require("node:child_process");
      const fs = require("node:fs");
      const ws = ${JSON.stringify(path.join(jobDir, "workspace"))};
      execFileSync("chown", ["-R", "10001:10001", ws]);
      fs.mkdirSync(ws + "/.pytest_cache", { mode: 0o700 });
      fs.chownSync(ws + "/.pytest_cache", 10001, 10001);
      execFileSync("chown", ["-R", "0:0", ws]);
      fs.rmSync(${JSON.stringify(jobDir)}, { recursive: true });
    `;
    const args = ["--reuid=65534", "--regid=65534", "--clear-groups", ...(caps ? [`--inh-caps=${caps}`, `--ambient-caps=${caps}`] : []), process.execPath, "-e", script];
    const result = await execa("setpriv", args, { reject: false });
    rmSync(dir, { recursive: true, force: true });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
