import { describe, expect, it } from "@jest/globals";
import { parseIni } from "../../src/builds/matrix/parse-ini.js";

describe("parseIni", () => {
  it("reads sections, both delimiters, continuation lines and comments", () => {
    const sections = parseIni("; top\n[tox]\nEnvList = a,\n  # comment inside\n    b\n\n[testenv:x]\ndeps: one\nstray line\n", { lineOffset: 10 });
    expect(sections.map((s) => [s.name, s.line])).toEqual([["tox", 12], ["testenv:x", 17]]);
    expect(sections[0]?.entries.get("envlist")?.lines).toEqual([{ text: "a,", line: 13 }, { text: "b", line: 15 }]);
    expect(sections[1]?.entries.get("deps")?.lines).toEqual([{ text: "one", line: 18 }]);
  });
});
