import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder } from "../../runner/src/environment/create-environment-builder.js";
import type { EnvironmentPhase } from "../../src/domain/environment-metrics.js";
import type { PipRunner } from "../../runner/src/environment/run-pip.js";
import { planRequirements } from "../support/plan-requirements.js";
import { runInEnvironment } from "../support/run-in-environment.js";

// Real Docker, real PyPI: one cold build with uv (the default resolver of the server), then the warm path.
const docker = createDocker();
const salt = `test-uv-${randomUUID()}`;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-uv-builder-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("environment builds with uv", () => {
  it("resolves for the image's Python, installs offline with uv, byte-compiles in the background, reports each phase; the next builder finds it without pip or uv", async () => {
    const cacheDir = join(root, "cache");
    const phases: EnvironmentPhase[] = [];
    const outcomes: string[] = [];
    const lines: string[] = [];
    const wheelCounts: { downloaded: number; cached: number }[] = [];
    // Every container the cold build creates: the base image's labels answer the probe, so there is only the install.
    const created: string[] = [];
    const counting = new Proxy(docker, {
      get(target, prop) {
        if (prop === "createContainer") return (options: Parameters<typeof docker.createContainer>[0]) => (created.push((options.Cmd ?? []).join(" ")), target.createContainer(options));
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const builder = createEnvironmentBuilder({
      docker: counting, cacheDir, keySalt: salt, resolver: "uv",
      metrics: { phase: (e) => void phases.push(e.phase), ensured: (e) => void outcomes.push(`${e.outcome}:${e.resolver}`), wheels: (e) => void wheelCounts.push(e) },
    });
    const files = { "requirements-test.txt": "pytest\ntyping_extensions; python_version < '3.10'\n" };
    const env = await builder.ensure({ python: "3.11", django: "5.2", ...planRequirements(files) }, { onLog: (line) => void lines.push(line) });
    expect(env.built).toBe(true);
    expect(env.django).toMatch(/^5\.2\.\d+$/);
    expect(env.packages).toContain(`django==${env.django}`);
    expect(env.packages.some((p) => p.startsWith("pytest=="))).toBe(true);
    // The marker is evaluated for 3.11, not for the host: typing_extensions is not installed.
    expect(env.packages.some((p) => p.startsWith("typing-extensions=="))).toBe(false);
    expect(phases).toEqual(["resolve", "download", "install"]);
    expect(outcomes).toEqual(["built:uv"]);
    // A fresh cache: every wheel was downloaded (for /metrics: ponyci_environment_wheels_total).
    expect(wheelCounts).toHaveLength(1);
    expect(wheelCounts[0]!.downloaded).toBeGreaterThanOrEqual(env.packages.length);
    expect(wheelCounts[0]!.cached).toBe(0);
    for (const phase of phases) expect(lines.some((l) => new RegExp(`^ponyci: ${phase} \\d+\\.\\d s`).test(l))).toBe(true);
    // One line sums the build up, step by step, in order (issue 28: every second of a cold cell attributed).
    expect(lines).toContainEqual(expect.stringMatching(/^ponyci: environment: probe \d+\.\d s, resolve \d+\.\d s, download \d+\.\d s, install \d+\.\d s, record \d+\.\d s; \d+\.\d s in all$/));
    // Django first: its wheel was fetched before resolve, and the install line says whether its unpacking got ahead.
    expect(lines).toContainEqual(expect.stringMatching(/^ponyci: install .*; Django (unpacked early \(\d+\.\d s, (while uv resolved|the install waited for its end)\)|not unpacked early)/));
    expect(existsSync(join(cacheDir, "wheels", `django-${env.django}-py3-none-any.whl`))).toBe(true);
    expect(created).toHaveLength(1);
    // The install's container, started before resolve: it makes the venv, then runs the command Pony CI writes when the wheels are there.
    expect(created[0]).toMatch(/ venv --quiet --relocatable .*\/ponyci-control\/go/s);
    // The byte-compile waits until the cell is done with the environment (settle), then runs off its path.
    const djangoInit = join(env.venvDir, "lib", "python3.11", "site-packages", "django", "__init__.py");
    const djangoPyc = join(env.venvDir, "lib", "python3.11", "site-packages", "django", "__pycache__", "__init__.cpython-311.pyc");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(existsSync(djangoPyc)).toBe(false);
    expect(JSON.parse(await readFile(join(env.venvDir, "..", "env.json"), "utf8"))).toMatchObject({ compiled: false });
    builder.settle(env.key);
    await builder.idle();
    expect(phases).toEqual(["resolve", "download", "install", "compile"]);
    expect((await stat(djangoPyc)).isFile()).toBe(true);
    expect(JSON.parse(await readFile(join(env.venvDir, "..", "env.json"), "utf8"))).toMatchObject({ compiled: true });

    // The test container sees the venv: Django imports from /opt/venv, pytest's console script runs.
    const run = await runInEnvironment(docker, env, "python -c 'import django, pytest; print(django.__file__)' && pytest --version");
    expect(run.exitCode).toBe(0);
    expect(run.lines.some((l) => l.startsWith("/opt/venv/"))).toBe(true);
    expect(run.lines.some((l) => /^pytest \d/.test(l))).toBe(true);

    const noPip: PipRunner = async (args) => {
      throw new Error(`pip must not run on the warm path (${args.join(" ")})`);
    };
    const warm = createEnvironmentBuilder({ docker, cacheDir, keySalt: salt, resolver: "uv", runPip: noPip });
    const again = await warm.ensure({ python: "3.11", django: "5.2", ...planRequirements(files) });
    expect(again).toMatchObject({ image: env.image, venvDir: env.venvDir, built: false, packages: env.packages });

    // An environment whose compile never finished (the process died first) is compiled by the next builder that hands it out.
    const record = JSON.parse(await readFile(join(env.venvDir, "..", "env.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(env.venvDir, "..", "env.json"), JSON.stringify({ ...record, compiled: false }));
    await rm(djangoPyc);
    const afterCrash = createEnvironmentBuilder({ docker, cacheDir, keySalt: salt, resolver: "uv", runPip: noPip });
    expect((await afterCrash.ensure({ python: "3.11", django: "5.2", ...planRequirements(files) })).built).toBe(false);
    await afterCrash.idle();
    expect(existsSync(djangoPyc)).toBe(true);

    // A new requirement unpacks only what is new: Django in both environments is one file (hard links into the store).
    const layerLines: string[] = [];
    const more = await builder.ensure(
      { python: "3.11", django: "5.2", ...planRequirements({ "requirements-test.txt": "pytest\nsqlparse\niniconfig\npluggy\nfreezegun\n" }) },
      { onLog: (line) => void layerLines.push(line) },
    );
    expect(more.built).toBe(true);
    // Django, pytest and their dependencies came from the cache; only the new ones were downloaded.
    expect(wheelCounts).toHaveLength(2);
    expect(wheelCounts[1]!.cached).toBeGreaterThan(0);
    expect(more.venvDir).not.toBe(env.venvDir);
    expect(more.packages.some((p) => p.startsWith("freezegun=="))).toBe(true);
    const first = await stat(djangoInit);
    const second = await stat(join(more.venvDir, "lib", "python3.11", "site-packages", "django", "__init__.py"));
    expect(second.ino).toBe(first.ino);
    expect(second.dev).toBe(first.dev);

    // A stop drops the compile still waiting for its cell, and none starts after it.
    await builder.close();
    builder.settle(more.key);
    await builder.idle();
    expect(JSON.parse(await readFile(join(more.venvDir, "..", "env.json"), "utf8"))).toMatchObject({ compiled: false });
    expect(await docker.listContainers({ all: true, filters: { label: [`org.ponyci.env-key=${more.key}`] } })).toEqual([]);
  }, 900_000);
});
