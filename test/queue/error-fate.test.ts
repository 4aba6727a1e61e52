import { describe, expect, it } from "@jest/globals";
import { errorFate, type ErrorFate } from "../../src/domain/error-fate.js";
import { CancelledError, InfrastructureError, InterruptedError, ProjectError } from "../../src/domain/errors.js";

class DockerGone extends InfrastructureError {}

describe("errorFate: the error's class decides", () => {
  it.each<[string, unknown, ErrorFate, ErrorFate]>([
    // what, error, fate for the queue, fate at the runner's boundary (otherwise: "retry")
    ["an InfrastructureError", new InfrastructureError("Docker daemon went away"), "retry", "retry"],
    ["a subclass of InfrastructureError", new DockerGone("gone"), "retry", "retry"],
    ["a ProjectError", new ProjectError("no release of nosuchpkg"), "fail", "fail"],
    ["a CancelledError", new CancelledError("superseded by abc1234"), "cancel", "cancel"],
    ["an InterruptedError", new InterruptedError(), "interrupt", "interrupt"],
    ["an ordinary error (a bug)", new TypeError("undefined is not a function"), "fail", "retry"],
    ["something said to be retryable by a field only", Object.assign(new Error("x"), { retryable: true, kind: "infrastructure" }), "fail", "retry"],
    ["an error merely named like a cancellation", Object.assign(new Error("x"), { name: "CancelledError" }), "fail", "retry"],
    ["a string", "boom", "fail", "retry"],
    ["undefined", undefined, "fail", "retry"],
  ])("%s", (_what, error, queueFate, runnerFate) => {
    expect(errorFate(error)).toBe(queueFate);
    expect(errorFate(error, "retry")).toBe(runnerFate);
  });

  it("keeps the cause and a readable name", () => {
    const cause = new Error("connect ENOENT /var/run/docker.sock");
    const error = new InfrastructureError("the Docker daemon is not reachable", { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("InfrastructureError");
    expect(String(new CancelledError("superseded by build #7"))).toBe("CancelledError: superseded by build #7");
    expect(String(new ProjectError("bad pin"))).toBe("ProjectError: bad pin");
  });
});
