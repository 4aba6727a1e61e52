import { describe, expect, it } from "@jest/globals";
import { checkRunName, configErrorCheckRunName } from "../../src/github/checks/check-run-name.js";

describe("checkRunName", () => {
  it.each([
    [{ python: "3.13", django: "5.2" }, "Python 3.13 · Django 5.2"],
    [{ python: "3.9", django: "4.2", vars: { DB: "sqlite" } }, "Python 3.9 · Django 4.2"],
  ])("names %j %s", (cell, name) => {
    expect(checkRunName(cell)).toBe(name);
  });
});

describe("configErrorCheckRunName", () => {
  it.each([
    [undefined, "Pony CI · .github/ponyci.yml"],
    [".github/ponyci.yaml", "Pony CI · .github/ponyci.yaml"],
    ["./ci/ponyci.yml", "Pony CI · ci/ponyci.yml"],
  ])("names the config error run for %s", (path, name) => {
    expect(configErrorCheckRunName(path)).toBe(name);
  });
});
