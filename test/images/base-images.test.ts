import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";

/**
 * The base images built by runner/images/build-base-images.sh (npm test runs
 * runner/host/setup.sh first, so they exist). Each must start and report the
 * Python version it is named after, with venv and pip usable offline.
 */
const versions = ["3.9", "3.11", "3.13"];

describe.each(versions)("base image for Python %s", (version) => {
  it("runs the Python it is named after, with venv and pip, without a network", async () => {
    const image = `ponyci/python:${version}`;
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
});
