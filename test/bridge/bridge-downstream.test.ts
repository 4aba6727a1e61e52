import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import path from "node:path";
import type { PrivateRepo } from "../../src/bridge/private-repo.js";
import type { BuildRequest } from "../../src/domain/build-request.js";
import { showCommand } from "../../src/cli/show-command.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import { createFixtureRepo, lineOf, type FixtureRepo } from "../support/fixture-repo.js";
import { startBridgeServer, type BridgeTestServer } from "./bridge-server.js";

/**
 * The seed's second half: the private project is rebuilt right after the
 * public app, against the app's new commit. The app's GitHub build is
 * simulated by submitting a `source: "github"` request through the same
 * build service (no GitHub listener is registered, so no GitHub API call).
 */
describe("downstream builds: the private project after its GitHub app", () => {
  const APP = "acme/pony-badges";
  let server: BridgeTestServer;
  let app: FixtureRepo;
  let project: FixtureRepo;
  const projectTest = () => path.join(project.dir, "boards/tests.py");

  beforeAll(async () => {
    app = await createFixtureRepo("bridge-app");
    project = await createFixtureRepo("bridge-downstream-project");
    const repos: PrivateRepo[] = [
      { name: "sample-project", url: project.dir, branches: ["main"], secret: "s".repeat(32), visibility: "private", after: [APP] },
      { name: "unrelated", url: project.dir, secret: "u".repeat(32), visibility: "private", after: ["acme/other-app"] },
    ];
    server = await startBridgeServer({ repos, run: true });
  });

  afterAll(async () => {
    await server?.close();
  });

  /** The app's push build on GitHub, as the GitHub handlers would submit it. */
  async function buildApp(sha: string): Promise<BuildRecord> {
    const request: BuildRequest = {
      source: "github",
      repo: { name: APP, cloneUrl: app.dir, visibility: "public", installationId: 42, defaultBranch: "main" },
      sha,
      branch: "main",
      event: "push",
    };
    const submitted = server.builds.submit(request);
    if (!submitted) throw new Error("the app commit was deduplicated");
    await submitted.planned;
    const build = await server.waitForBuild(submitted.build.id);
    await server.trigger.idle();
    return build;
  }

  /** Downstream builds of the project, oldest first. */
  function projectBuilds(): BuildRecord[] {
    return server.store.listBuilds({ repo: "sample-project" }).reverse();
  }

  async function show(id: number): Promise<string> {
    let text = "";
    await showCommand([String(id)], { settings: { dataDir: server.dataDir }, out: { write: (t) => void (text += t) } });
    return text;
  }

  it("builds the project against the app's commit after each passing app cell, and reports where the project broke", async () => {
    // 1. The app as it is: the project passes against it.
    const first = await buildApp(app.sha);
    expect(first.status.conclusion).toBe("success");
    expect(projectBuilds()).toHaveLength(1);
    const ok = await server.waitForBuild(projectBuilds()[0]?.id as number);
    expect(ok).toMatchObject({ source: "bridge", event: "downstream", sha: project.sha, branch: "main", visibility: "private" });
    expect(ok.status.conclusion).toBe("success");
    expect((ok.trigger.request as BuildRequest).upstream).toEqual({ repo: APP, cloneUrl: app.dir, sha: app.sha, buildId: first.id, installationId: 42 });
    expect(server.store.listJobs(ok.id).map((job) => job.cell)).toEqual([{ python: "3.11", django: "5.2" }]);

    // 2. An app change that keeps the app's own tests green but breaks the project.
    const breaking = await app.commit("labels with a dash", {
      "pony_badges/labels.py": 'def badge_label(name):\n    return "Pony - " + name\n',
      "tests/test_labels.py": 'from django.test import SimpleTestCase\n\nfrom pony_badges.labels import badge_label\n\n\nclass BadgeLabelTests(SimpleTestCase):\n    def test_label(self):\n        self.assertEqual(badge_label("news"), "Pony - news")\n',
    });
    const second = await buildApp(breaking);
    expect(second.status.conclusion).toBe("success");
    expect(projectBuilds()).toHaveLength(2);
    const broken = await server.waitForBuild(projectBuilds()[1]?.id as number);
    expect(broken.status.conclusion).toBe("failure");
    expect((broken.trigger.request as BuildRequest).upstream?.sha).toBe(breaking);
    const [job] = server.store.listJobs(broken.id);
    const failures = server.store.listTestResults(job?.id as string, { outcomes: ["failed", "error"] });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      id: "boards.tests.BoardTitleTests.test_title_is_the_apps_badge_label",
      outcome: "failed",
      location: { path: "boards/tests.py", line: lineOf(projectTest(), "ponyci-downstream-assert") },
    });
    expect(failures[0]?.message).toContain("Pony - News");
    const shown = await show(broken.id);
    expect(shown).toContain(`Tested against: ${APP} at ${breaking} (its build #${second.id})`);
    expect(shown).toContain(`failed boards.tests.BoardTitleTests.test_title_is_the_apps_badge_label at boards/tests.py:${lineOf(projectTest(), "ponyci-downstream-assert")}`);

    // 3. The app's fix: the next project build passes, against the fixed commit.
    const fix = await app.commit("labels with a colon again", {
      "pony_badges/labels.py": 'def badge_label(name):\n    return "Pony: " + name\n',
      "tests/test_labels.py": 'from django.test import SimpleTestCase\n\nfrom pony_badges.labels import badge_label\n\n\nclass BadgeLabelTests(SimpleTestCase):\n    def test_label(self):\n        self.assertEqual(badge_label("news"), "Pony: news")\n',
    });
    await buildApp(fix);
    expect(projectBuilds()).toHaveLength(3);
    const fixed = await server.waitForBuild(projectBuilds()[2]?.id as number);
    expect(fixed.status.conclusion).toBe("success");
    expect((fixed.trigger.request as BuildRequest).upstream?.sha).toBe(fix);
    expect(await show(fixed.id)).toContain(`Tested against: ${APP} at ${fix}`);

    // Only projects whose `after:` names the app were built.
    expect(server.store.listBuilds({ repo: "unrelated" })).toHaveLength(0);
  });

  it("triggers nothing when the app's cell fails", async () => {
    const before = projectBuilds().length;
    const failing = await app.commit("a failing app test", {
      "tests/test_broken.py": 'from django.test import SimpleTestCase\n\n\nclass BrokenTests(SimpleTestCase):\n    def test_broken(self):\n        self.assertEqual(1, 2)\n',
    });
    const build = await buildApp(failing);
    expect(build.status.conclusion).toBe("failure");
    expect(projectBuilds()).toHaveLength(before);
  });

  it("triggers nothing for app builds off the default branch", async () => {
    const before = projectBuilds().length;
    const submitted = server.builds.submit({
      source: "github",
      repo: { name: APP, cloneUrl: app.dir, visibility: "public", defaultBranch: "main" },
      sha: app.sha,
      branch: "experiment",
      event: "push",
      rerun: { cells: [{ python: "3.11", django: "5.2" }] },
    });
    await submitted?.planned;
    const build = await server.waitForBuild(submitted?.build.id as number);
    await server.trigger.idle();
    expect(build.status.conclusion).toBe("success");
    expect(projectBuilds()).toHaveLength(before);
  });
});
