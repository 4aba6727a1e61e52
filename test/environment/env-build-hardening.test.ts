import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { LABEL_ENV_KEY } from "../../runner/src/docker/labels.js";
import { buildEnvironmentImage, ENV_BUILD_UID } from "../../runner/src/environment/build-environment-image.js";
import { ENV_IMAGE_REPO } from "../../runner/src/environment/environment.js";
import { runBuildContainer } from "../../runner/src/environment/run-build-container.js";
import { makeDistribution } from "../support/package-index.js";

/**
 * Issue 10: an environment image is built by `docker commit`, so the build
 * container's root file system stays writable; the install runs as a uid
 * that owns only /opt/venv, without capabilities. A wheel's .pth file runs
 * (here: at the `pip list` after the install) and tries to write outside
 * the venv: only its write into the venv reaches the committed image.
 */
const docker = createDocker();
const key = `hardening-${randomUUID()}`;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-env-hardening-"));
});
afterAll(async () => {
  await docker.getImage(`${ENV_IMAGE_REPO}:${key}`).remove({ force: true }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

const pth = [
  "import os; open('/opt/venv/pth-ran', 'w').close()",
  "import os; open('/usr/local/pwned', 'w').close()",
  "import os; open('/etc/pwned', 'w').close()",
  "import os; os.makedirs('/usr/local/lib/evil', exist_ok=True)",
].join("\n");

describe("an environment build", () => {
  it("runs as a non-root uid owning only the venv: a .pth file cannot write outside it", async () => {
    const wheel = await makeDistribution("wheel", root, "evilpth", "1.0", { "evilpth.pth": `${pth}\n`, "evilpth/__init__.py": "" });
    let inspected: Promise<Docker.ContainerInspectInfo | undefined> | undefined;
    const installed = await buildEnvironmentImage(docker, {
      baseImage: "ponyci/python:3.11",
      key,
      python: "3.11",
      django: "0",
      wheelsDir: root,
      files: [wheel.filename],
      limits: { memoryBytes: 512 * 1024 ** 2, nanoCpus: 1e9, pidsLimit: 128, timeoutSec: 240, logLimitBytes: 256 * 1024 },
      onLine: () => {
        // The first line comes while the build container runs: look at how it was created.
        inspected ??= docker
          .listContainers({ filters: { label: [`${LABEL_ENV_KEY}=${key}`] } })
          .then(([found]) => (found ? docker.getContainer(found.Id).inspect() : undefined));
      },
    });
    expect(installed).toEqual(["evilpth==1.0"]);

    const lines: string[] = [];
    const { exitCode } = await runBuildContainer(
      docker,
      {
        image: `${ENV_IMAGE_REPO}:${key}`,
        script: "for f in /opt/venv/pth-ran /usr/local/pwned /etc/pwned /usr/local/lib/evil; do if [ -e $f ]; then echo present $f; else echo absent $f; fi; done; stat -c 'owner %u %n' /opt/venv /opt/venv/pyvenv.cfg",
      },
      { onLine: (line) => lines.push(line) },
    );
    expect(exitCode).toBe(0);
    expect(lines).toEqual([
      "present /opt/venv/pth-ran",
      "absent /usr/local/pwned",
      "absent /etc/pwned",
      "absent /usr/local/lib/evil",
      `owner ${ENV_BUILD_UID} /opt/venv`,
      `owner ${ENV_BUILD_UID} /opt/venv/pyvenv.cfg`,
    ]);

    const info = await inspected;
    expect(info).toBeDefined();
    expect(info?.Config.User).toBe(`${ENV_BUILD_UID}:${ENV_BUILD_UID}`);
    expect(info?.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(info?.HostConfig.CapAdd ?? []).toEqual([]);
    expect(info?.HostConfig.SecurityOpt).toEqual(["no-new-privileges"]);
    expect(info?.HostConfig.NetworkMode).toBe("none");
    expect(info?.HostConfig.Privileged).toBe(false);
    expect(info?.HostConfig.Memory).toBe(512 * 1024 ** 2);
    expect(info?.HostConfig.PidsLimit).toBe(128);
    expect(info?.HostConfig.Binds).toContain(`${root}:/wheels:ro`);
  }, 300_000);
});
