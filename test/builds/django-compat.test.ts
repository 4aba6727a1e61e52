import { describe, expect, it } from "@jest/globals";
import { compareVersions } from "../../src/domain/compare-versions.js";
import { isKnownDjango, isSupported, listKnownDjango, listSupportedPython } from "../../src/builds/matrix/django-compat.js";

describe("isSupported", () => {
  it.each([
    ["3.2", "3.6", true], ["3.2", "3.10", true], ["3.2", "3.11", false],
    ["4.0", "3.8", true], ["4.0", "3.11", false],
    ["4.1", "3.11", true], ["4.1", "3.12", false],
    ["4.2", "3.8", true], ["4.2", "3.12", true], ["4.2", "3.13", false], ["4.2", "3.7", false],
    ["5.0", "3.9", false], ["5.0", "3.10", true], ["5.0", "3.12", true], ["5.0", "3.13", false],
    ["5.1", "3.13", true], ["5.1", "3.14", false],
    ["5.2", "3.9", false], ["5.2", "3.10", true], ["5.2", "3.14", true],
    ["6.0", "3.11", false], ["6.0", "3.12", true], ["6.0", "3.14", true],
    ["6.1", "3.13", false], ["2.2", "3.8", false],
  ])("Django %s on Python %s → %s", (django, python, expected) => {
    expect(isSupported({ python, django })).toBe(expected);
  });
});

describe("the table", () => {
  it("knows Django 3.2 to 6.0 in order", () => {
    expect(listKnownDjango()).toEqual(["3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0"]);
    expect(isKnownDjango("6.0")).toBe(true);
    expect(isKnownDjango("constructor")).toBe(false);
  });

  it("lists supported Pythons, empty for an unknown release", () => {
    expect(listSupportedPython("6.0")).toEqual(["3.12", "3.13", "3.14"]);
    expect(listSupportedPython("1.11")).toEqual([]);
  });

  it("orders versions numerically", () => {
    expect(["3.11", "3.9", "3.13", "3.10"].sort(compareVersions)).toEqual(["3.9", "3.10", "3.11", "3.13"]);
    expect(["6.0", "6.0rc1", "5.2.10", "6.0a1", "5.2.9", "6.0b2", "x", "5.2"].sort(compareVersions)).toEqual(["x", "5.2", "5.2.9", "5.2.10", "6.0a1", "6.0b2", "6.0rc1", "6.0"]);
    expect(compareVersions("4.2", "4.2.0")).toBe(0);
  });
});
