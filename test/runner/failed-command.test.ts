import { describe, expect, it } from "@jest/globals";
import { createOutputTail, visible } from "../../runner/src/cell/create-output-tail.js";
import { decideConclusion } from "../../runner/src/cell/decide-conclusion.js";
import { parseHarnessEvent } from "../../runner/src/cell/parse-harness-event.js";
import { emptyCounts } from "../../src/domain/events.js";

/** Issue 22 item 5: a failing command says why (django-environ's `coverage: not found`). */
describe("a failing command's message", () => {
  const container = { exitCode: 1, oomKilled: false, timedOut: false, cancelled: false, timeoutSec: 60, memoryBytes: 1 };

  it("names the command and shows its last output lines", () => {
    const verdict = decideConclusion(container, {
      ended: true,
      counts: emptyCounts(),
      failedCommand: { step: "commands[0]", command: ["coverage", "run", "-m", "pytest"], exitCode: 127, output: ["sh: 1: coverage: not found"] },
    });
    expect(verdict.error?.message).toBe("tox commands[0] `coverage run -m pytest` exited with code 127 (no test failed)");
    expect(verdict.error?.traceback).toBe(`${verdict.error?.message}\n\nIts last line of output:\nsh: 1: coverage: not found`);
    expect(decideConclusion(container, { ended: true, counts: emptyCounts() }).error?.message).toBe("The test command exited with code 1 (no test failed)");
  });

  it("keeps the failing step's lines apart from what commands_post prints after, without the harness's own lines", () => {
    const tail = createOutputTail({ maxLines: 2 });
    for (const line of ["[ponyci] commands[0]> x", "a", "b", "c", "[ponyci] commands[0] failed: exit 1 in 0.1 s", "post", "[ponyci] commands_post[0] exited 0 in 0.0 s"]) tail.push(line);
    expect(tail.linesOf("commands[0]")).toEqual(["b", "c"]);
    expect(tail.linesOf("test command")).toEqual(["post"]);
  });

  it("makes terminal escapes and control characters visible, and bounds every line", () => {
    expect(visible("\x1b[31mred\x1b[0m\x07bell\r", 100)).toBe("red\\x07bell\\x0d");
    const tail = createOutputTail({ maxLineChars: 5 });
    tail.push("0123456789");
    expect(tail.linesOf(undefined)).toEqual(["01234…"]);
  });

  it("reads the harness's `command` event strictly", () => {
    expect(parseHarnessEvent('{"event":"command","step":"test command","command":["python","-m","pytest"],"exit_code":2}')).toEqual({ event: "command", step: "test command", command: ["python", "-m", "pytest"], exitCode: 2 });
    expect(parseHarnessEvent('{"event":"command","step":"x","command":"rm -rf /","exit_code":2}')).toBeUndefined();
    expect(parseHarnessEvent(`{"event":"command","step":"${"s".repeat(61)}","command":[],"exit_code":2}`)).toBeUndefined();
  });
});
