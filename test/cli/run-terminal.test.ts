import { describe, expect, it } from "@jest/globals";
import { createRunTerminal, wantsColour, type TerminalInfo } from "../../src/cli/create-run-terminal.js";

const ESC = "\u001b[";
const tty = (env: Record<string, string> = {}): TerminalInfo => ({ isTTY: true, columns: 40, env });
const pipe = (env: Record<string, string> = {}): TerminalInfo => ({ isTTY: false, env });

function record(terminal: TerminalInfo, quiet = false) {
  let text = "";
  const term = createRunTerminal({ out: { write: (t) => void (text += t) }, terminal, quiet });
  term.line("✓ Python 3.12 · Django 5.2  3 passed in 1 s");
  term.status("[0/2] Python 3.13 · Django 5.2: 10 passed, 0 failed · Python 3.12 · Django 4.2: preparing");
  term.line("✗ Python 3.13 · Django 5.2  failure");
  term.result("All 2 cells passed");
  return { text, live: term.live };
}

describe("wantsColour", () => {
  it.each([
    [tty(), true],
    [pipe(), false],
    [tty({ NO_COLOR: "1" }), false],
    [tty({ NO_COLOR: "" }), true],
    [tty({ TERM: "dumb" }), false],
    [pipe({ FORCE_COLOR: "1" }), true],
    [tty({ FORCE_COLOR: "0" }), true],
    [pipe({ FORCE_COLOR: "0" }), false],
    [tty({ NO_COLOR: "1", FORCE_COLOR: "1" }), false],
  ])("%j → %s", (terminal, colour) => {
    expect(wantsColour(terminal)).toBe(colour);
  });
});

describe("createRunTerminal", () => {
  it("not a terminal: plain lines, no escape code, no live line", () => {
    const { text, live } = record(pipe());
    expect(live).toBe(false);
    expect(text).toBe("✓ Python 3.12 · Django 5.2  3 passed in 1 s\n✗ Python 3.13 · Django 5.2  failure\nAll 2 cells passed\n");
  });

  it("a terminal: coloured marks and verdict, a live line cut to the width, erased before each line and redrawn after it", () => {
    const { text, live } = record(tty());
    expect(live).toBe(true);
    expect(text).toContain(`${ESC}32m✓${ESC}39m`);
    expect(text).toContain(`${ESC}31m✗${ESC}39m`);
    expect(text).toContain(`${ESC}32mAll 2 cells passed${ESC}39m`);
    // The live line, cut to 39 columns, is erased before the next line and redrawn after it, then gone for the result.
    const status = "[0/2] Python 3.13 · Django 5.2: 10 pas…";
    expect(text).toContain(`${ESC}2m${status}${ESC}22m\r${ESC}2K`);
    expect(text.split(`\r${ESC}2K`)).toHaveLength(3);
    expect(text.endsWith(`${ESC}32mAll 2 cells passed${ESC}39m\n`)).toBe(true);
  });

  it("NO_COLOR on a terminal: the live line stays, no colour", () => {
    const { text } = record(tty({ NO_COLOR: "1" }));
    expect(text).toContain(`\r${ESC}2K`);
    expect(text).not.toMatch(new RegExp(`${ESC.replace("[", "\\[")}\\d+m`));
  });

  it("--quiet: only results, on a terminal too", () => {
    expect(record(tty({ NO_COLOR: "1" }), true)).toEqual({ text: "All 2 cells passed\n", live: false });
    expect(record(pipe(), true).text).toBe("All 2 cells passed\n");
    let text = "";
    const quiet = createRunTerminal({ out: { write: (t) => void (text += t) }, terminal: pipe(), quiet: true });
    quiet.line("Pony CI: acme/polls at 0123456789ab");
    quiet.result("\nCell  Result\nPython 3.12 · Django 5.2  success");
    quiet.result("\nAll 1 cells passed");
    // Nothing above the table: no blank line before it; one between the results.
    expect(text).toBe("Cell  Result\nPython 3.12 · Django 5.2  success\n\nAll 1 cells passed\n");
  });
});
