import { describe, expect, it } from "@jest/globals";
import { statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSettings } from "../../src/settings/load-settings.js";
import { SettingsError } from "../../src/settings/settings-error.js";

describe("PONYCI_DISK_BUDGET", () => {
  const dataDir = join(tmpdir(), "ponyci-budget-does-not-exist-yet", "data");
  const disk = (() => {
    const fs = statfsSync(tmpdir());
    return fs.blocks * fs.bsize;
  })();

  it.each([
    ["", Math.floor(disk * 0.25)],
    ["25%", Math.floor(disk * 0.25)],
    ["10%", Math.floor(disk * 0.1)],
    ["40g", 40 * 1024 ** 3],
    ["512m", 512 * 1024 ** 2],
  ])("%j → %d bytes (a share of the disk holding the data directory, measured even before it exists)", (value, expected) => {
    expect(loadSettings({ PONYCI_DATA_DIR: dataDir, PONYCI_DISK_BUDGET: value }, "run").diskBudgetBytes).toBe(expected);
  });

  it.each(["lots", "0%", "150%", "-5g"])("rejects %j with a message saying how to write it", (value) => {
    expect(() => loadSettings({ PONYCI_DATA_DIR: dataDir, PONYCI_DISK_BUDGET: value }, "run")).toThrow(SettingsError);
    expect(() => loadSettings({ PONYCI_DATA_DIR: dataDir, PONYCI_DISK_BUDGET: value }, "run")).toThrow(/PONYCI_DISK_BUDGET=/);
  });
});
