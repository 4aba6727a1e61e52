import { describe, expect, it } from "@jest/globals";
import { createRequire } from "node:module";
import type { Context } from "probot";
import type { BuildRequest } from "../../src/domain/build-request.js";
import type { BuildService } from "../../src/builds/create-build-service.js";
import type { HandlerDeps } from "../../src/github/handlers/handler-deps.js";
import { handlePush, type PushPayload } from "../../src/github/handlers/handle-push.js";
import { handlePullRequest, type PullRequestPayload } from "../../src/github/handlers/handle-pull-request.js";
import { handleCheckRunRerequested, handleCheckSuiteRerequested, handleRequestedAction, type CheckRunPayload, type CheckSuitePayload } from "../../src/github/handlers/handle-check-rerequests.js";
import { openStore } from "../../src/store/open-store.js";
import { makeTempDir } from "../store/temp-dir.js";

/**
 * The handlers against GitHub's own example payloads (@octokit/webhooks-examples):
 * what each event turns into, decided without a server. Pure translation:
 * the build service is replaced by a recorder of what was submitted.
 */
const require = createRequire(import.meta.url);
const EXAMPLES = require("@octokit/webhooks-examples/api.github.com/index.json") as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
const examplesOf = (name: string, action?: string) => (EXAMPLES.find((e) => e.name === name)?.examples ?? []).filter((e) => action === undefined || e.action === action);

function recorder() {
  const submitted: BuildRequest[] = [];
  const builds: BuildService = {
    submit: (request) => {
      submitted.push(request);
      return { build: { id: submitted.length } as never, planned: Promise.resolve() };
    },
    plan: async () => undefined,
    planPending: async () => undefined,
    cancelJobs: async () => undefined,
  };
  const store = openStore({ dataDir: makeTempDir().dir });
  const deps: HandlerDeps = { builds, store, appId: 4242, log: { debug() {}, info() {}, warn() {}, error() {} } };
  return { deps, submitted, store };
}

describe("webhook handlers with GitHub's example payloads", () => {
  it("push: tag pushes build nothing; a branch push builds its head commit", () => {
    const { deps, submitted } = recorder();
    for (const example of examplesOf("push")) {
      const payload = example as unknown as PushPayload;
      const outcome = handlePush({ ...payload, installation: { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" } }, deps);
      if (!payload.ref.startsWith("refs/heads/")) expect(outcome).toBe("ignored: not a branch");
    }
    const tagPushes = examplesOf("push").filter((e) => !(e.ref as string).startsWith("refs/heads/")).length;
    const branch = examplesOf("push").find((e) => (e.ref as string).startsWith("refs/heads/") && !e.deleted) as unknown as PushPayload | undefined;
    const asBranch = branch ?? ({ ...(examplesOf("push")[0] as unknown as PushPayload), ref: "refs/heads/main", deleted: false } as PushPayload);
    submitted.length = 0;
    handlePush({ ...asBranch, installation: { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" } }, deps, "delivery-1");
    expect(submitted).toEqual([
      expect.objectContaining({
        source: "github",
        sha: asBranch.after,
        branch: asBranch.ref.replace("refs/heads/", ""),
        event: "push",
        deliveryId: "delivery-1",
        // The push's base: the branch's previous head (none for a new branch).
        base: { sha: /^0{40}$/.test(asBranch.before ?? "") ? undefined : asBranch.before, branch: asBranch.ref.replace("refs/heads/", "") },
        repo: expect.objectContaining({ name: asBranch.repository.full_name, cloneUrl: asBranch.repository.clone_url, installationId: 1 }),
      }),
    ]);
    expect(tagPushes).toBeGreaterThan(0);
  });

  it.each(["opened", "synchronize", "reopened"])("pull_request.%s builds head.sha, fetching refs/pull/N/head", (action) => {
    const { deps, submitted } = recorder();
    const examples = examplesOf("pull_request", action);
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const payload = example as unknown as PullRequestPayload;
      handlePullRequest(payload, deps);
      expect(submitted.at(-1)).toMatchObject({
        sha: payload.pull_request.head.sha,
        prNumber: payload.number,
        fetchRefs: [`refs/pull/${payload.number}/head`],
        repo: { name: payload.repository.full_name },
        base: { sha: payload.pull_request.base.sha, branch: payload.pull_request.base.ref },
      });
      expect(payload.pull_request.base.sha).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it("push: a new branch (before all zeros) has no base commit; a later push's base is its before", () => {
    const { deps, submitted } = recorder();
    const example = examplesOf("push").find((e) => (e.ref as string).startsWith("refs/heads/")) as unknown as PushPayload;
    const branch = { ...example, ref: "refs/heads/main", deleted: false, installation: { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" } };
    handlePush({ ...branch, before: "0".repeat(40) }, deps);
    handlePush({ ...branch, after: "b".repeat(40), before: "a".repeat(40) }, deps);
    expect(submitted.map((r) => r.base)).toEqual([{ sha: undefined, branch: "main" }, { sha: "a".repeat(40), branch: "main" }]);
  });

  it.each(["closed", "labeled", "assigned", "ready_for_review"])("pull_request.%s builds nothing", (action) => {
    const { deps, submitted } = recorder();
    for (const example of examplesOf("pull_request", action)) handlePullRequest(example as unknown as PullRequestPayload, deps);
    expect(submitted).toEqual([]);
  });

  it("check_run.rerequested and requested_action of another app's run (or an unknown one) build nothing", () => {
    const { deps, submitted } = recorder();
    for (const example of [...examplesOf("check_run", "rerequested"), ...examplesOf("check_run", "requested_action")]) {
      const payload = example as unknown as CheckRunPayload;
      const outcome = payload.action === "rerequested" ? handleCheckRunRerequested(payload, deps) : handleRequestedAction(payload, deps);
      expect(outcome).toMatch(/^ignored/);
    }
    expect(submitted).toEqual([]);
  });

  it("check_run.rerequested of one of our runs re-runs that cell at check_run.head_sha (the payload has no check_suite)", () => {
    const { deps, submitted, store } = recorder();
    const example = examplesOf("check_run", "rerequested")[0] as unknown as Context<"check_run.rerequested">["payload"];
    expect((example as unknown as Record<string, unknown>).check_suite).toBeUndefined();
    const original: BuildRequest = { source: "github", repo: { name: example.repository.full_name, cloneUrl: example.repository.clone_url, visibility: "public", installationId: 1 }, sha: example.check_run.head_sha, event: "push" };
    const { jobs } = store.createBuild({ repo: original.repo.name, source: "github", visibility: "public", sha: original.sha, event: "push", trigger: { request: original }, jobs: [{ id: "ours-1", cell: { python: "3.11", django: "5.2" } }] });
    handleCheckRunRerequested({ ...example, check_run: { ...example.check_run, external_id: jobs[0]?.id ?? "", app: { ...(example.check_run.app as NonNullable<typeof example.check_run.app>), id: 4242 } } }, deps);
    expect(submitted).toEqual([expect.objectContaining({ sha: example.check_run.head_sha, event: "rerequested", rerun: { cells: [{ python: "3.11", django: "5.2" }], ofJob: "ours-1" } })]);
  });

  it("check_suite.rerequested re-runs every cell of check_suite.head_sha", () => {
    const { deps, submitted } = recorder();
    const examples = examplesOf("check_suite", "rerequested");
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const payload = example as unknown as CheckSuitePayload;
      handleCheckSuiteRerequested({ ...payload, check_suite: { ...payload.check_suite, app: { ...payload.check_suite.app, id: 4242 } } }, deps);
      expect(submitted.at(-1)).toMatchObject({ sha: payload.check_suite.head_sha, event: "rerequested", rerun: {} });
    }
  });
});
