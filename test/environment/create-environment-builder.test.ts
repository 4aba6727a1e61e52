import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDocker } from "../../runner/src/docker/create-docker.js";
import { createEnvironmentBuilder, type EnvironmentBuilderOptions } from "../../runner/src/environment/create-environment-builder.js";
import { EnvironmentError } from "../../src/domain/environment-error.js";
import { createPipRunner, type PipRunner } from "../../runner/src/environment/run-pip.js";
import { defaultHostPython } from "../../src/domain/host-python.js";
import { createIndexDjangoVersions } from "../../runner/src/environment/resolve-django-version.js";
import { createMetrics } from "../../src/metrics/create-metrics.js";
import { planRequirements } from "../support/plan-requirements.js";
import { runInEnvironment } from "../support/run-in-environment.js";

// Real Docker, real PyPI through the host's pip. Cold builds are few on purpose (each ~20-40 s).
const docker = createDocker();
const salt = `test-${randomUUID()}`;
let cacheDir: string;
let root: string;

const realPip = createPipRunner();
function countingPip(): { runPip: PipRunner; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    runPip: (args, opts) => {
      calls.push(args[0] === "index" ? "index" : args[0] ?? "?");
      return realPip(args, opts);
    },
  };
}
/** The index's JSON for Django's versions (what the builder asks by default), counting each question. */
function countingIndex(): { listDjangoVersions: (python: string) => Promise<string[] | undefined>; calls: string[] } {
  const calls: string[] = [];
  const real = createIndexDjangoVersions({ host: defaultHostPython(), tmpDir: join(root, "index-tmp") });
  return { calls, listDjangoVersions: (python) => (calls.push(python), real(python)) };
}
const failingIndex = async (): Promise<string[]> => {
  throw new Error("the index must not be asked on the warm path");
};
const failingPip: PipRunner = async (args) => {
  throw new Error(`pip must not run on the warm path (called with ${args.join(" ")})`);
};

function builder(options: Partial<EnvironmentBuilderOptions> = {}) {
  return createEnvironmentBuilder({ docker, cacheDir, keySalt: salt, ...options });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ponyci-env-test-"));
  cacheDir = join(root, "cache");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("createEnvironmentBuilder", () => {
  let ws42: ReturnType<typeof planRequirements>;

  it("builds Python 3.11 × Django 4.2 with the test requirements once, even when asked twice at the same time", async () => {
    ws42 = planRequirements({ "requirements-test.txt": "factory-boy\n-e .\nDjango>=3\n" });
    const pip = countingPip();
    const index = countingIndex();
    // The server's registry, fed through the builder's EnvironmentMetrics port (as createLocalRunner wires it).
    const metrics = createMetrics({ defaultMetrics: false });
    const envs = builder({ runPip: pip.runPip, listDjangoVersions: index.listDjangoVersions, metrics: metrics.environment });
    const logs: string[] = [];
    const request = { python: "3.11", django: "4.2", ...ws42 };
    // Either call may be the one that builds (the other waits for it): both collect the log.
    const [a, b] = await Promise.all([envs.ensure(request, { onLog: (l) => logs.push(l) }), envs.ensure(request, { onLog: (l) => logs.push(l) })]);

    expect([a.built, b.built].sort()).toEqual([false, true]);
    expect(a.venvDir).toBe(b.venvDir);
    expect(a.venvDir).toBe(join(cacheDir, "store", "envs", a.key, "venv"));
    expect(a.image).toBe("ponyci/python:3.11");
    expect(a.django).toMatch(/^4\.2\.\d+$/);
    expect(a.packages).toContain(`Django==${a.django}`);
    expect(a.packages.some((p) => /^factory[-_]boy==/i.test(p))).toBe(true);
    expect(a.notes.some((n) => n.includes("the checkout itself"))).toBe(true);
    // Django's series resolved from the index's JSON once (pip is not started for it), then one pip download.
    expect(index.calls).toEqual(["3.11"]);
    expect(pip.calls).toEqual(["download"]);
    expect(logs.some((l) => l.includes("Saved"))).toBe(true);
    // One build (the second call waited for it): each of its phases once in /metrics.
    const text = await metrics.registry.metrics();
    for (const phase of ["download", "install"]) expect(text).toMatch(new RegExp(`^ponyci_environment_phase_duration_seconds_count\\{phase="${phase}",resolver="pip"\\} 1$`, "m"));
    expect(text).toMatch(/^ponyci_environment_build_duration_seconds_count\{outcome="built",resolver="pip"\} 1$/m);

    const run = await runInEnvironment(docker, a, `python -c "import django, factory; print('versions', django.get_version(), factory.__version__)"; echo "venv=$VIRTUAL_ENV"`);
    expect(run.exitCode).toBe(0);
    expect(run.lines).toContain(`venv=/opt/venv`);
    expect(run.lines.find((l) => l.startsWith("versions"))).toMatch(new RegExp(`^versions ${a.django.replace(/\./g, "\\.")} \\d`));
  }, 300_000);

  it("finds the environment again without pip or the network, and refreshes the Django series only after the TTL", async () => {
    const warm = await builder({ runPip: failingPip, listDjangoVersions: failingIndex }).ensure({ python: "3.11", django: "4.2", ...ws42 });
    expect(warm.built).toBe(false);
    expect(warm.django).toMatch(/^4\.2\.\d+$/);
    expect(warm.packages.some((p) => /^factory[-_]boy==/i.test(p))).toBe(true);

    const pip = countingPip();
    const index = countingIndex();
    const later = builder({ runPip: pip.runPip, listDjangoVersions: index.listDjangoVersions, now: () => Date.now() + 25 * 60 * 60 * 1000 });
    const again = await later.ensure({ python: "3.11", django: "4.2", ...ws42 });
    expect(index.calls).toEqual(["3.11"]);
    expect(pip.calls).toEqual([]);
    expect(again.key).toBe(warm.key);
    expect(again.built).toBe(false);
  }, 120_000);

  it("a requirement that does not exist on PyPI is the project's error, quoting pip", async () => {
    const ws = planRequirements({ "requirements-test.txt": "factory-boy\nthis-package-does-not-exist-ponyci==1.0\n" });
    const error = await builder()
      .ensure({ python: "3.11", django: "4.2", ...ws })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).kind).toBe("project");
    expect((error as EnvironmentError).retryable).toBe(false);
    expect((error as EnvironmentError).message).toContain("this-package-does-not-exist-ponyci==1.0");
    expect((error as EnvironmentError).message).toMatch(/check the name and version on PyPI/);
  }, 120_000);

  it("rejects a Django version it cannot understand as the project's mistake", async () => {
    const error = await builder({ runPip: failingPip, listDjangoVersions: failingIndex })
      .ensure({ python: "3.11", django: "latest", ...ws42 })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).kind).toBe("project");
  });

  it("builds Python 3.13 × Django 5.2, building a wheel-less package from its source distribution offline", async () => {
    const ws = planRequirements({ "requirements.txt": "docopt==0.6.2\n" });
    const logs: string[] = [];
    const env = await builder().ensure({ python: "3.13", django: "5.2", ...ws }, { onLog: (l) => logs.push(l) });
    expect(env.built).toBe(true);
    expect(env.django).toMatch(/^5\.2\.\d+$/);
    expect(env.packages).toContain("docopt==0.6.2");
    expect(logs.some((l) => l.includes("built docopt-0.6.2"))).toBe(true);
    const run = await runInEnvironment(docker, env, `python -c "import sys, django, docopt; print(sys.version_info[:2], django.get_version())"`);
    expect(run.exitCode).toBe(0);
    expect(run.lines).toContain(`(3, 13) ${env.django}`);
  }, 400_000);
});
