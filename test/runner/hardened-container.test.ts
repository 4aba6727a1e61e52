import { describe, expect, it } from "@jest/globals";
import { hardenedContainerOptions, type HardenedContainerSpec } from "../../runner/src/container/create-hardened-container.js";
import { CONTAINER_OWNER, LABEL_JOB, LABEL_MANAGED, LABEL_OWNER } from "../../runner/src/docker/labels.js";

const limits = { memoryBytes: 512 * 1024 * 1024, nanoCpus: 1e9, pidsLimit: 256 };

/** The three kinds of container as run-test-container, run-build-container and start-service ask for them. */
const kinds: Record<string, HardenedContainerSpec> = {
  test: { image: "ponyci/python:3.12", cmd: ["python", "-m", "harness"], env: { PATH: "/opt/venv/bin", A: "1" }, user: "10001:10001", workingDir: "/workspace", attach: true, jobId: "7-1", readonlyRoot: { tmpfs: { "/tmp": "rw,size=512m" } }, limits, nofile: 4096, log: "none" },
  build: { image: "ponyci/python:3.12", cmd: ["sh", "-c", "pip install"], attach: true, networkDisabled: true, labels: { "org.ponyci.env-build": "1" }, limits, cpuShares: 2, log: "none" },
  service: { image: "ponyci/postgres:15", cmd: ["postgres"], env: ["POSTGRES_PASSWORD=x"], user: "999", attach: false, jobId: "7-1", labels: { "org.ponyci.service": "postgres" }, readonlyRoot: { tmpfs: { "/run": "rw" } }, limits, log: "bounded" },
};

describe("the container boundary", () => {
  it.each(Object.keys(kinds))("gives a %s container no capabilities, no new privileges, no network, memory without swap, its limits and the managed labels", (kind) => {
    const options = hardenedContainerOptions(kinds[kind]!);
    expect(options.HostConfig).toMatchObject({ CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges"], NetworkMode: "none", Memory: limits.memoryBytes, MemorySwap: limits.memoryBytes, NanoCpus: 1e9, PidsLimit: 256 });
    expect(options.HostConfig?.Privileged).toBeUndefined();
    expect(options.Labels).toMatchObject({ [LABEL_MANAGED]: "1", [LABEL_OWNER]: CONTAINER_OWNER });
    expect(options.Tty).toBe(false);
  });

  it("lets no caller's label replace the ones the reaper and the collector trust", () => {
    const options = hardenedContainerOptions({ ...kinds.build!, labels: { [LABEL_MANAGED]: "0", [LABEL_OWNER]: "elsewhere:1", [LABEL_JOB]: "forged" }, jobId: "7-2" });
    expect(options.Labels).toMatchObject({ [LABEL_MANAGED]: "1", [LABEL_OWNER]: CONTAINER_OWNER, [LABEL_JOB]: "7-2" });
  });

  it("keeps what differs per kind: environment form, read-only root, logs, network namespace", () => {
    const test = hardenedContainerOptions({ ...kinds.test!, networkMode: "container:abc" });
    expect(test.Env).toEqual(["PATH=/opt/venv/bin", "A=1"]);
    expect(test.HostConfig).toMatchObject({ NetworkMode: "container:abc", ReadonlyRootfs: true, Tmpfs: { "/tmp": "rw,size=512m" }, Ulimits: [{ Name: "nofile", Soft: 4096, Hard: 4096 }], LogConfig: { Type: "none" } });
    const build = hardenedContainerOptions(kinds.build!);
    expect(build).toMatchObject({ NetworkDisabled: true, AttachStdout: true, HostConfig: { CpuShares: 2 } });
    expect(build.Env).toBeUndefined();
    expect(build.HostConfig?.ReadonlyRootfs).toBeUndefined();
    const service = hardenedContainerOptions(kinds.service!);
    expect(service.AttachStdout).toBeUndefined();
    expect(service.HostConfig?.LogConfig).toEqual({ Type: "json-file", Config: { "max-size": "1m", "max-file": "1" } });
  });
});
