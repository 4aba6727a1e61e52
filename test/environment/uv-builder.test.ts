import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import type { EnvironmentPhase } from "../../runner/src/environment/environment-metrics.js";
import type { PipRunner } from "../../runner/src/environment/run-pip.js";
import { planRequirements } from "../support/plan-requirements.js";

// Real Docker, real PyPI: one cold build with uv (the default resolver of the server), then the warm path.
const docker = createDocker();
const salt = `test-uv-${randomUUID()}`;
const images = new Set<string>();
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-uv-builder-"));
});
afterAll(async () => {
  // Children first: a layer with a child image cannot go before it.
  for (const image of [...images].sort((a, b) => Number(a.startsWith("ponyci/env-layer")) - Number(b.startsWith("ponyci/env-layer")))) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

describe("environment builds with uv", () => {
  it("resolves for the image's Python, installs offline with uv, reports each phase; the next builder finds the image without pip or uv", async () => {
    const cacheDir = join(root, "cache");
    const phases: EnvironmentPhase[] = [];
    const outcomes: string[] = [];
    const lines: string[] = [];
    const builder = createEnvironmentBuilder({
      docker, cacheDir, keySalt: salt, resolver: "uv",
      metrics: { phase: (e) => void phases.push(e.phase), ensured: (e) => void outcomes.push(`${e.outcome}:${e.resolver}`) },
    });
    const files = { "requirements-test.txt": "pytest\ntyping_extensions; python_version < '3.10'\n" };
    const env = await builder.ensure({ python: "3.11", django: "5.2", ...planRequirements(files) }, { onLog: (line) => void lines.push(line) });
    images.add(env.image);
    expect(env.built).toBe(true);
    expect(env.django).toMatch(/^5\.2\.\d+$/);
    expect(env.packages).toContain(`django==${env.django}`);
    expect(env.packages.some((p) => p.startsWith("pytest=="))).toBe(true);
    // The marker is evaluated for 3.11, not for the host: typing_extensions is not installed.
    expect(env.packages.some((p) => p.startsWith("typing-extensions=="))).toBe(false);
    expect(phases).toEqual(["resolve", "download", "layer", "install", "commit"]);
    expect(outcomes).toEqual(["built:uv"]);
    for (const phase of phases.filter((p) => p !== "layer")) expect(lines.some((l) => new RegExp(`^\\[ponyci\\] ${phase} \\d+\\.\\d s`).test(l))).toBe(true);

    // The test container sees the venv: Django imports from /opt/venv.
    const container = await docker.createContainer({ Image: env.image, Cmd: ["python", "-c", "import django, pytest; print(django.__file__)"], HostConfig: { NetworkMode: "none" } });
    try {
      const out: Buffer[] = [];
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      stream.on("data", (chunk: Buffer) => out.push(chunk));
      await container.start();
      expect(((await container.wait()) as { StatusCode: number }).StatusCode).toBe(0);
      expect(Buffer.concat(out).toString()).toContain("/opt/venv/");
    } finally {
      await container.remove({ force: true });
    }

    const noPip: PipRunner = async (args) => {
      throw new Error(`pip must not run on the warm path (${args.join(" ")})`);
    };
    const warm = createEnvironmentBuilder({ docker, cacheDir, keySalt: salt, resolver: "uv", runPip: noPip });
    const again = await warm.ensure({ python: "3.11", django: "5.2", ...planRequirements(files) });
    expect(again).toMatchObject({ image: env.image, built: false, packages: env.packages });

    // A new requirement rebuilds only the project's layer: the Django layer under both images is the same one.
    const layerLines: string[] = [];
    const more = await builder.ensure(
      { python: "3.11", django: "5.2", ...planRequirements({ "requirements-test.txt": "pytest\nsqlparse\niniconfig\npluggy\nfreezegun\n" }) },
      { onLog: (line) => void layerLines.push(line) },
    );
    images.add(more.image);
    expect(more.built).toBe(true);
    expect(more.packages.some((p) => p.startsWith("freezegun=="))).toBe(true);
    expect(lines.some((l) => /^\[ponyci\] layer Django 5\.2\.\d+: built in/.test(l))).toBe(true);
    expect(layerLines.some((l) => /^\[ponyci\] layer Django 5\.2\.\d+: cached/.test(l))).toBe(true);
    const parentOf = async (image: string) => (await docker.getImage(image).inspect()).Parent;
    const layer = await parentOf(env.image);
    expect(layer).toBeTruthy();
    expect(await parentOf(more.image)).toBe(layer);
    const layerInfo = await docker.getImage(layer).inspect();
    expect(layerInfo.RepoTags?.[0]).toMatch(/^ponyci\/env-layer:[0-9a-f]{64}$/);
    for (const tag of layerInfo.RepoTags ?? []) images.add(tag);
  }, 900_000);
});
