import { describe, expect, it } from "@jest/globals";
import type { InstallationPythons } from "../../runner/src/images/list-obtainable-pythons.js";
import { listPlanningPythons } from "../../src/server/list-planning-pythons.js";

/** Issue 21: the server's planning, `ponyci run` and `ponyci runner` ask one function which Pythons the installation has. */
const host: InstallationPythons = {
  installed: [
    { image: "ponyci/python:3.11", python: "3.11", implementation: "cpython", name: "3.11" },
    { image: "ponyci/pypy:3.11", python: "3.11", implementation: "pypy", name: "pypy3.11" },
  ],
  obtainable: [{ python: "3.14", origin: "debian:testing" }, { python: "pypy3.9", origin: "debian:bookworm" }],
  versions: ["3.11", "3.14", "pypy3.9", "pypy3.11"],
};
const local = async () => host;

describe("listPlanningPythons", () => {
  it("this host: what it can add is available, what has an image is installed (PyPy by its name)", async () => {
    expect(await listPlanningPythons({ local })).toEqual({ available: ["3.11", "3.14", "pypy3.9", "pypy3.11"], installed: ["3.11", "pypy3.11"] });
  });

  it("PONYCI_RUNNER_PYTHONS replaces what this host finds, in both lists", async () => {
    expect(await listPlanningPythons({ local, override: ["3.12"] })).toEqual({ available: ["3.12"], installed: ["3.12"] });
  });

  it("adds every live runner's advertised Pythons to both lists", async () => {
    expect(await listPlanningPythons({ local, runners: async () => [["3.13"], ["3.13", "pypy3.10"]] })).toEqual({
      available: ["3.11", "3.14", "pypy3.9", "pypy3.11", "3.13", "pypy3.10"],
      installed: ["3.11", "pypy3.11", "3.13", "pypy3.10"],
    });
  });

  it("an image template with no runners leaves nothing out; with runners it lists theirs", async () => {
    expect(await listPlanningPythons({ local, anyVersion: true })).toEqual({ available: [], installed: [] });
    expect(await listPlanningPythons({ anyVersion: true, runners: async () => [["3.12"]] })).toEqual({ available: ["3.12"], installed: ["3.12"] });
  });

  it("a listing that fails counts as none", async () => {
    const failing = async (): Promise<InstallationPythons> => {
      throw new Error("Docker does not answer");
    };
    expect(await listPlanningPythons({ local: failing, runners: async () => { throw new Error("Redis is away"); } })).toEqual({ available: [], installed: [] });
  });
});
