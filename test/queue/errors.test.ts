import { describe, expect, it } from "@jest/globals";
import { InfrastructureError as RunnerInfrastructureError } from "../../src/domain/errors.js";
import { CancelledError, InfrastructureError, InterruptedError, isRetryable } from "../../src/queue/errors.js";

describe("queue errors", () => {
  it("retries errors that say retryable: true, whoever defined them", () => {
    expect(isRetryable(new InfrastructureError("Docker daemon went away"))).toBe(true);
    expect(isRetryable(new RunnerInfrastructureError("image build failed"))).toBe(true);
    expect(isRetryable(Object.assign(new Error("x"), { retryable: true }))).toBe(true);
  });

  it("never retries cancellations, interruptions or other errors", () => {
    expect(isRetryable(new CancelledError())).toBe(false);
    expect(isRetryable(new InterruptedError())).toBe(false);
    expect(isRetryable(new TypeError("bug"))).toBe(false);
    expect(isRetryable("a string")).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });

  it("keeps the cause and a readable name", () => {
    const cause = new Error("connect ENOENT /var/run/docker.sock");
    const error = new InfrastructureError("the Docker daemon is not reachable", { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("InfrastructureError");
    expect(String(new CancelledError("superseded by build #7"))).toBe("CancelledError: superseded by build #7");
  });
});
