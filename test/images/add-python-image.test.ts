import { afterAll, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { probeBaseImage, probeFromLabels } from "../../runner/src/environment/probe-base-image.js";
import { listBaseImages } from "../../runner/src/remote/detect-pythons.js";

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../runner/images/add-python-image.sh");

/**
 * A real build of a base image from Debian unstable (debootstrap from the
 * Debian mirror, `docker import`), under a test name removed afterwards:
 * the Python unstable ships as its newest (read from its package list, not
 * a table), usable without a network, labelled with what it is and where it
 * came from, and found by the runner's image discovery.
 */
describe("add-python-image.sh from Debian unstable", () => {
  const name = `ponyci-test/python-unstable:${process.pid}`;
  let cache: string | undefined;

  afterAll(async () => {
    await execa("docker", ["rmi", "-f", name], { reject: false });
    if (cache) await rm(cache, { recursive: true, force: true });
  });

  it("builds the newest Python unstable ships, runs it offline with a venv, labels it, and the runner finds it", async () => {
    cache = await mkdtemp(path.join(tmpdir(), "ponyci-images-cache-"));
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cache, PONYCI_IMAGES_CACHE: cache, PONYCI_DEBIAN_SUITES: "unstable", PONYCI_IMAGE_NAME: name };
    // Which Pythons unstable ships today: the script's own reading of the package list.
    const listed = (await execa("bash", [SCRIPT, "--debian-pythons"], { env })).stdout.trim().split(/\s+/);
    expect(listed[0]).toBe("unstable");
    const pythons = listed.slice(2).filter((v) => /^3\.\d+$/.test(v)).sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
    const newest = pythons.at(-1);
    expect(newest).toBeDefined();

    const build = await execa("bash", [SCRIPT, newest!, "--from", "debian"], { env, reject: false });
    expect(build.stderr).toContain(`built ${name} from Debian unstable`);
    expect(build.exitCode).toBe(0);

    const script = "import sys, venv, ssl, sqlite3; venv.create('/tmp/v'); print('%d.%d' % sys.version_info[:2])";
    const run = await execa("docker", ["run", "--rm", "--network", "none", "--user", "65534:65534", name, "python3", "-c", script]);
    expect(run.stdout.trim()).toBe(newest);

    const docker = createDocker();
    const info = await docker.getImage(name).inspect();
    expect(info.Config.Labels).toMatchObject({ "org.ponyci.base": "1", "org.ponyci.python": newest, "org.ponyci.implementation": "cpython", "org.ponyci.origin": "debian:unstable", "org.ponyci.libc": "glibc" });
    expect(probeFromLabels(info.Config.Labels)).toEqual(await probeBaseImage(docker, name));
    // One image per Python is listed: on a machine that already has ponyci/python:3.15 (from Debian
    // testing), that one, Pony CI's own name, else this one.
    const found = (await listBaseImages(docker)).filter((i) => i.python === newest && i.implementation === "cpython");
    expect(found).toEqual([{ image: expect.any(String), python: newest, implementation: "cpython", name: newest, libc: expect.stringMatching(/^glibc 2\.\d+$/), origin: expect.stringMatching(/^debian:(unstable|testing)$/) }]);
    const own = await docker.getImage(`ponyci/python:${newest}`).inspect().then(() => true, () => false);
    expect(found[0]?.image).toBe(own ? `ponyci/python:${newest}` : name);
  }, 900_000);
});
