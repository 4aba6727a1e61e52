import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadPrivateRepos } from "../../src/bridge/load-private-repos.js";
import { buildsCommand } from "../../src/cli/builds-command.js";
import { showCommand } from "../../src/cli/show-command.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { startBridgeServer, type BridgeTestServer } from "./bridge-server.js";
import { createBareRepo, git, hookLine, installHookWithCli, queuedBuildIds, writeSecretFile } from "./git-server.js";

/**
 * The seed's scenario end to end: a private project in a bare repository on
 * "the in-house git server" with Pony CI's hook installed by `ponyci hook
 * install`; a developer's `git push`; the build runs in Docker; the results
 * are read back from the store and through `ponyci show` / `ponyci builds`.
 */
describe("git push to a private repository with the hook installed", () => {
  const SECRET = "0123456789abcdef0123456789abcdef";
  let server: BridgeTestServer;
  let bare: string;
  let clone: FixtureRepo;

  beforeAll(async () => {
    const config = mkdtempSync(path.join(tmpdir(), "ponyci-bridge-config-"));
    const secretFile = writeSecretFile(config, "bridge-project", SECRET);
    bare = await createBareRepo("bridge-project");
    const reposFile = path.join(config, "private-repos.yml");
    writeFileSync(
      reposFile,
      ["repositories:", "  - name: bridge-project", `    url: ${bare}`, '    branches: [main, "feature/*"]', "    secret_file: bridge-project.secret", ""].join("\n"),
    );
    server = await startBridgeServer({ repos: loadPrivateRepos(reposFile), run: true, publicUrl: "http://ci.example.test/" });
    await installHookWithCli(bare, { repo: "bridge-project", url: server.url, secretFile });
    clone = await createFixtureRepo("bridge-project");
    await git(clone.dir, ["remote", "add", "origin", bare]);
  });

  afterAll(async () => {
    await server?.close();
  });

  it("queues a build on push, runs it in Docker, and shows its results", async () => {
    const push = await git(clone.dir, ["push", "origin", "main"]);
    expect(push.exitCode).toBe(0);
    const line = hookLine(push.all);
    expect(line).toMatch(/^Pony CI: build #\d+ queued$/);
    const [id] = queuedBuildIds(line);
    // Then each queued build's dashboard page (issue 26).
    expect(push.all).toMatch(new RegExp(`^remote: Pony CI: build #${id}: http://ci\\.example\\.test/builds/${id}\\s*$`, "m"));

    const build = await server.waitForBuild(id as number);
    expect(build).toMatchObject({ repo: "bridge-project", source: "bridge", visibility: "private", sha: clone.sha, branch: "main", event: "post-receive" });
    expect(build.status).toEqual({ state: "finished", conclusion: "success", jobs: 1 });
    // The commit's message and author, read from the mirror at planning, for the dashboards (issue 26).
    expect(build.plan.commit).toEqual({ message: "fixture", author: "Fixture" });
    const [job] = server.store.listJobs(build.id);
    expect(job?.cell).toEqual({ python: "3.11", django: "5.2" });
    expect(job?.counts).toMatchObject({ passed: 3, failed: 0, total: 3 });
    expect(server.store.listTestResults(job?.id as string).map((t) => t.id).sort()).toEqual([
      "notes.tests.NoteTests.test_headline",
      "notes.tests.NoteTests.test_saves_and_reads_back",
      "notes.tests.SmokeTests.test_truth",
    ]);

    let shown = "";
    expect(await showCommand([String(id)], { settings: { dataDir: server.dataDir }, out: { write: (t) => void (shown += t) } })).toBe(0);
    expect(shown).toContain(`Build #${id}  bridge-project  main  ${clone.sha}`);
    expect(shown).toMatch(/✓ Python 3\.11 · Django 5\.2 {2}success {2}3 passed in /);

    let listed = "";
    await buildsCommand(["--repo", "bridge-project"], { settings: { dataDir: server.dataDir }, out: { write: (t) => void (listed += t) } });
    expect(listed).toMatch(new RegExp(`#${id} +bridge-project +main +${clone.sha.slice(0, 12)} +success +1/1`));
  });

  it("builds each branch of a push that updates several", async () => {
    const mainSha = await clone.commit("a second note test", { "notes/test_more.py": "from django.test import SimpleTestCase\n\n\nclass MoreTests(SimpleTestCase):\n    def test_more(self):\n        self.assertEqual(2 * 2, 4)\n" });
    await git(clone.dir, ["checkout", "-q", "-b", "feature/x"]);
    const featureSha = await clone.commit("feature work", { "notes/test_feature.py": "from django.test import SimpleTestCase\n\n\nclass FeatureTests(SimpleTestCase):\n    def test_feature(self):\n        self.assertTrue('x')\n" });
    await git(clone.dir, ["checkout", "-q", "main"]);

    const push = await git(clone.dir, ["push", "origin", "main", "feature/x"]);
    expect(push.exitCode).toBe(0);
    const line = hookLine(push.all);
    expect(line).toMatch(/^Pony CI: builds #\d+, #\d+ queued$/);
    const builds = await Promise.all(queuedBuildIds(line).map((id) => server.waitForBuild(id)));
    expect(builds.map((b) => [b.branch, b.sha, b.status.conclusion]).sort()).toEqual(
      [["feature/x", featureSha, "success"], ["main", mainSha, "success"]].sort(),
    );
    const counts = builds.map((b) => server.store.listJobs(b.id)[0]?.counts?.passed).sort();
    expect(counts).toEqual([4, 5]);
  });

  it("ignores tags, branch deletions and branches it is not configured to build", async () => {
    const before = server.store.listBuilds().length;

    await git(clone.dir, ["tag", "v1.0"]);
    const tag = await git(clone.dir, ["push", "origin", "v1.0"]);
    expect(tag.exitCode).toBe(0);
    expect(hookLine(tag.all)).toBe("Pony CI: not queued: tag v1.0 (tags are not built)");

    const deletion = await git(clone.dir, ["push", "origin", "--delete", "feature/x"]);
    expect(deletion.exitCode).toBe(0);
    expect(hookLine(deletion.all)).toBe("Pony CI: not queued: branch feature/x deleted");

    await git(clone.dir, ["checkout", "-q", "-b", "scratch"]);
    await clone.commit("scratch work", { "scratch.txt": "x\n" });
    const scratch = await git(clone.dir, ["push", "origin", "scratch"]);
    expect(scratch.exitCode).toBe(0);
    expect(hookLine(scratch.all)).toBe("Pony CI: not queued: branch scratch is not built (branches: main, feature/*)");

    expect(server.store.listBuilds()).toHaveLength(before);
  });
});
