import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { probeBaseImage, probeFromLabels } from "../../runner/src/environment/probe-base-image.js";

/**
 * The base images built by runner/images/build-base-images.sh (npm test runs
 * runner/host/setup.sh first, so they exist). Each must start and report the
 * Python version it is named after, with venv and pip usable offline, and
 * carry labels that say what a probe in a container would.
 */
const versions = ["3.9", "3.11", "3.13"];

describe.each(versions)("base image for Python %s", (version) => {
  const image = `ponyci/python:${version}`;

  it("runs the Python it is named after, with venv and pip, without a network", async () => {
    const script = [
      "import sys, venv, ensurepip, subprocess",
      "print('%d.%d' % sys.version_info[:2])",
      "print(subprocess.run([sys.executable, '-m', 'pip', '--version'], capture_output=True, text=True).returncode)",
    ].join("; ");
    const { stdout } = await execa("docker", ["run", "--rm", "--network", "none", "--user", "65534:65534", image, "python3", "-c", script]);
    expect(stdout.trim().split("\n")).toEqual([version, "0"]);
    const { stdout: label } = await execa("docker", ["image", "inspect", "--format", '{{ index .Config.Labels "org.ponyci.python" }}', image]);
    expect(label.trim()).toBe(version);
  });

  it("labels what its interpreter is, as the container probe finds it (cold builds skip the probe)", async () => {
    const docker = createDocker();
    const info = await docker.getImage(image).inspect();
    const labelled = probeFromLabels(info.Config.Labels);
    expect(labelled).toBeDefined();
    expect(labelled).toEqual(await probeBaseImage(docker, image));
  });
});

describe("probeFromLabels", () => {
  const labels = { "org.ponyci.python": "3.11", "org.ponyci.libc": "glibc", "org.ponyci.libc-version": "2.36", "org.ponyci.machine": "x86_64" };

  it("reads the four labels", () => {
    expect(probeFromLabels(labels)).toEqual({ python: "3.11", libc: "glibc", libcVersion: "2.36", machine: "x86_64", implementation: "cpython" });
    expect(probeFromLabels({ ...labels, "org.ponyci.libc": "", "org.ponyci.libc-version": "" })).toEqual({ python: "3.11", libc: "", libcVersion: "", machine: "x86_64", implementation: "cpython" });
  });

  it("gives up (the container probe runs) when one is missing or malformed", () => {
    expect(probeFromLabels(undefined)).toBeUndefined();
    expect(probeFromLabels(null)).toBeUndefined();
    expect(probeFromLabels({ "org.ponyci.python": "3.11" })).toBeUndefined();
    expect(probeFromLabels({ ...labels, "org.ponyci.python": "3" })).toBeUndefined();
    expect(probeFromLabels({ ...labels, "org.ponyci.libc": "glibc --index-url http://x" })).toBeUndefined();
    expect(probeFromLabels({ ...labels, "org.ponyci.libc-version": "2.36; rm" })).toBeUndefined();
    expect(probeFromLabels({ ...labels, "org.ponyci.machine": "x86 64" })).toBeUndefined();
    // PyPy's wheel ABI tag is not among the labels: its image is always probed.
    expect(probeFromLabels({ ...labels, "org.ponyci.implementation": "pypy" })).toBeUndefined();
  });
});
