import { describe, expect, it } from "@jest/globals";
import { parseBridgePath } from "../../src/bridge/bridge-protocol.js";
import { BridgeRequestError } from "../../src/bridge/bridge-request-error.js";
import { decideRefBuilds } from "../../src/bridge/decide-ref-builds.js";
import { describePushOutcome } from "../../src/bridge/describe-push-outcome.js";
import { endpointFor } from "../../src/bridge/install-hook.js";
import { isLiteralBranch, matchBranch } from "../../src/bridge/match-branch.js";
import { parseRefUpdates } from "../../src/bridge/parse-ref-updates.js";
import { selectDownstreamProjects, type DownstreamProject } from "../../src/bridge/select-downstream-projects.js";
import { signBridgePayload } from "../../src/bridge/sign-bridge-payload.js";
import { verifyBridgeSignature } from "../../src/bridge/verify-bridge-signature.js";
import type { CellFinished } from "../../src/builds/build-listener.js";
import { renderBuildsTable } from "../../src/cli/builds-command.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import type { JobRecord } from "../../src/store/job-rows.js";
import { emptyCounts } from "../../src/domain/events.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const ZERO = "0".repeat(40);

describe("matchBranch", () => {
  it.each([
    [undefined, "anything/at/all", true],
    [["main"], "main", true],
    [["main"], "mainline", false],
    [["release/*"], "release/1.0", true],
    [["release/*"], "release/1.0/hotfix", false],
    [["release/**"], "release/1.0/hotfix", true],
    [["feature-?"], "feature-a", true],
    [["v[0-9].x"], "v2.x", true],
    [["v[!0-9].x"], "v2.x", false],
    [["a.b"], "axb", false],
    [["release/{1,2}.x"], "release/2.x", true],
    [["!main"], "develop", false],
    [["!main"], "!main", true],
    [["fix+1"], "fix+1", true],
    [["*"], "feature/x", false],
    [["**"], "feature/x", true],
  ])("%j matches %s: %s", (patterns, branch, expected) => {
    expect(matchBranch(patterns, branch)).toBe(expected);
  });

  it("tells names from patterns", () => {
    expect([isLiteralBranch("main"), isLiteralBranch("release/*"), isLiteralBranch("v[12]"), isLiteralBranch("fix-1.2"), isLiteralBranch("r/{a,b}")]).toEqual([true, false, false, true, false]);
  });
});

describe("parseRefUpdates", () => {
  it("reads the lines exactly as git feeds post-receive, CRLF and sha-256 included", () => {
    const long = "c".repeat(64);
    expect(parseRefUpdates(`${A} ${B} refs/heads/main\r\n${ZERO} ${long} refs/tags/v1\n`)).toEqual([
      { oldSha: A, newSha: B, ref: "refs/heads/main" },
      { oldSha: ZERO, newSha: long, ref: "refs/tags/v1" },
    ]);
  });

  it.each([
    ["", /^empty body/],
    ["\n", /^malformed line 1 "": expected/],
    [`${A} ${B} main\n`, /^malformed line 1/],
    [`${A} ${B} refs/heads/main\n${A} ${B}\n`, /^malformed line 2/],
    [`${A.toUpperCase()} ${B} refs/heads/main`, /^malformed line 1/],
    [`${A} ${B} refs/heads/a b`, /^malformed line 1/],
  ])("refuses %j with a 400", (body, message) => {
    let caught: unknown;
    try {
      parseRefUpdates(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BridgeRequestError);
    expect((caught as BridgeRequestError).status).toBe(400);
    expect((caught as Error).message).toMatch(message);
  });
});

describe("decideRefBuilds and describePushOutcome", () => {
  it("builds configured branches and says why each other ref is left alone", () => {
    const decided = decideRefBuilds({ branches: ["main", "feature/*"] }, [
      { oldSha: A, newSha: B, ref: "refs/heads/main" },
      { oldSha: ZERO, newSha: A, ref: "refs/heads/feature/x" },
      { oldSha: A, newSha: ZERO, ref: "refs/heads/old" },
      { oldSha: ZERO, newSha: A, ref: "refs/tags/v1" },
      { oldSha: A, newSha: ZERO, ref: "refs/tags/v0" },
      { oldSha: ZERO, newSha: A, ref: "refs/notes/commits" },
      { oldSha: ZERO, newSha: A, ref: "refs/heads/scratch" },
    ]);
    expect(decided.builds).toEqual([
      { ref: "refs/heads/main", branch: "main", sha: B, before: A },
      { ref: "refs/heads/feature/x", branch: "feature/x", sha: A },
    ]);
    expect(decided.ignored.map((i) => i.reason)).toEqual([
      "branch old deleted",
      "tag v1 (tags are not built)",
      "tag v0 deleted",
      "refs/notes/commits is not a branch",
      "branch scratch is not built (branches: main, feature/*)",
    ]);
    expect(describePushOutcome([{ id: 12 }, { id: 13 }], decided.ignored.slice(0, 1))).toBe("builds #12, #13 queued (not built: branch old deleted)");
  });

  it.each([
    [[{ id: 7 }], [], "build #7 queued"],
    [[{ id: 7 }, { id: 8 }], [], "builds #7, #8 queued"],
    [[], [{ ref: "refs/tags/v1", sha: A, reason: "tag v1 (tags are not built)" }], "not queued: tag v1 (tags are not built)"],
    [[], [], "not queued: nothing to build"],
  ])("describes %j / %j as %s", (builds, ignored, line) => {
    expect(describePushOutcome(builds, ignored)).toBe(line);
  });
});

describe("verifyBridgeSignature", () => {
  const secret = "the-shared-secret-of-the-repo";
  const body = Buffer.from(`${A} ${B} refs/heads/main\n`);
  const now = 1_700_000_000_000;
  const at = String(now / 1000);
  const check = (overrides: Partial<Parameters<typeof verifyBridgeSignature>[0]>) => () =>
    verifyBridgeSignature({ secret, timestamp: at, signature: signBridgePayload(secret, at, body), body, nowMs: now, maxSkewSec: 300, ...overrides });

  it("accepts the hook's signature within the allowed skew", () => {
    expect(check({})).not.toThrow();
    expect(check({ nowMs: now + 299_000 })).not.toThrow();
  });

  it("signs <timestamp>.<body> with HMAC-SHA256 (the hook computes the same)", () => {
    // python3 -c 'import hmac,hashlib;print(hmac.new(b"k"*16,b"1.x",hashlib.sha256).hexdigest())'
    expect(signBridgePayload("k".repeat(16), "1", "x")).toBe("sha256=e3938243b6cfeffb1503021c875b01be645b65a3ce99134f68916d321c1737a4");
  });

  it.each([
    ["a missing signature", { signature: undefined }, /^unsigned request/],
    ["a malformed timestamp", { timestamp: "yesterday" }, /^bad X-PonyCI-Timestamp/],
    ["a malformed signature", { signature: "md5=abc" }, /^bad X-PonyCI-Signature/],
    ["another secret", { secret: "another-secret-entirely" }, /^bad signature/],
    ["another body", { body: Buffer.from("x") }, /^bad signature/],
    ["a stale timestamp", { nowMs: now + 301_000 }, /^stale request: its timestamp is 301 s away/],
  ])("refuses %s with a 401", (_what, overrides, message) => {
    expect(check(overrides)).toThrow(message);
    try {
      check(overrides)();
    } catch (error) {
      expect((error as BridgeRequestError).status).toBe(401);
    }
  });
});

describe("parseBridgePath and endpointFor", () => {
  it.each([
    ["/bridge/project/post-receive", { kind: "post-receive", name: "project" }],
    ["/bridge/project/post-receive/", { kind: "post-receive", name: "project" }],
    ["/bridge/project", { kind: "unknown-path" }],
    ["/bridge", { kind: "unknown-path" }],
    ["/bridgework", undefined],
    ["/api/github/webhooks", undefined],
  ])("%s → %j", (pathname, expected) => {
    expect(parseBridgePath(pathname)).toEqual(expected);
  });

  it("joins the server's base URL and the repository's path", () => {
    expect(endpointFor("https://ci.example.com", "p")).toBe("https://ci.example.com/bridge/p/post-receive");
    expect(endpointFor("https://example.com/ponyci/", "p")).toBe("https://example.com/ponyci/bridge/p/post-receive");
    expect(() => endpointFor("ftp://example.com", "p")).toThrow("--url must be http:// or https://, not ftp:");
  });
});

describe("selectDownstreamProjects", () => {
  const project: DownstreamProject = { name: "project", url: "/srv/project.git", visibility: "private", after: ["acme/app"], branches: ["main"] };
  const other: DownstreamProject = { name: "other", url: "/srv/other.git", visibility: "private", after: ["acme/else"] };
  const everyBranch: DownstreamProject = { name: "every", url: "/srv/every.git", visibility: "private", after: ["acme/app"] };

  function finished(overrides: { build?: Partial<BuildRecord>; conclusion?: "success" | "failure"; defaultBranch?: string; upstream?: boolean } = {}): CellFinished {
    const build = {
      id: 1, repo: "acme/app", source: "github", visibility: "public", sha: A, branch: "main", event: "push", planState: "planned", plan: {}, createdAt: 0,
      status: { state: "finished", conclusion: "success", jobs: 1 },
      trigger: { request: { source: "github", repo: { name: "acme/app", cloneUrl: "https://github.com/acme/app.git", visibility: "public", defaultBranch: overrides.defaultBranch }, sha: A, branch: "main", event: "push", upstream: overrides.upstream ? { repo: "x/y", cloneUrl: "", sha: B, buildId: 0 } : undefined } },
      ...overrides.build,
    } as BuildRecord;
    const job = { id: "1-1", buildId: 1, seq: 1, cell: { python: "3.11", django: "5.2" }, state: "finished", attempts: 1, external: {}, createdAt: 0 } as JobRecord;
    return { build, job, finished: { type: "finished", conclusion: overrides.conclusion ?? "success", counts: emptyCounts(), durationMs: 1, testDurationMs: 1 }, tests: [], logTail: [] };
  }

  it("rebuilds the projects listing the app after a passing cell on its default branch", () => {
    expect(selectDownstreamProjects(finished(), [project, other, everyBranch])).toEqual([
      { project, branch: "main" },
      { project: everyBranch, branch: "HEAD" },
    ]);
    expect(selectDownstreamProjects(finished({ build: { branch: "trunk" }, defaultBranch: "trunk" }), [project])).toHaveLength(1);
  });

  it.each([
    ["a failed cell", { conclusion: "failure" as const }],
    ["another branch", { build: { branch: "feature" } }],
    ["a branch that is not the default", { defaultBranch: "trunk" }],
    ["a pull request", { build: { prNumber: 3 } }],
    ["a bridge build", { build: { source: "bridge" as const } }],
    ["a downstream build", { upstream: true }],
  ])("triggers nothing for %s", (_what, overrides) => {
    expect(selectDownstreamProjects(finished(overrides), [project])).toEqual([]);
  });
});

describe("renderBuildsTable", () => {
  it("shows id, repo, ref (with the upstream app), sha, status and cells done (a confirmation re-run is an attempt, not a cell)", () => {
    const build = (id: number, extra: Partial<BuildRecord>): BuildRecord =>
      ({ id, repo: "project", source: "bridge", visibility: "private", sha: A, branch: "main", event: "post-receive", trigger: {}, planState: "planned", plan: {}, createdAt: 0, status: { state: "running", jobs: 2 }, ...extra }) as BuildRecord;
    let n = 0;
    const job = (state: JobRecord["state"], external: Record<string, unknown> = {}) => ({ id: `j${++n}`, state, external }) as JobRecord;
    const text = renderBuildsTable([
      { build: build(3, { event: "downstream", trigger: { request: { upstream: { repo: "acme/app", cloneUrl: "file:///srv/acme/app", sha: B, buildId: 2 } } as BuildRecord["trigger"]["request"] }, status: { state: "finished", conclusion: "failure", jobs: 1 } }), jobs: [job("finished")] },
      { build: build(2, {}), jobs: [job("finished"), job("running"), job("finished", { confirms: "j3" })] },
      { build: build(1, { planState: "config-error", status: { state: "finished", jobs: 0 } }), jobs: [] },
    ]);
    expect(text.split("\n")).toEqual([
      "#   repo     ref              sha           status        cells",
      `#3  project  main ← acme/app  ${A.slice(0, 12)}  failure       1/1`,
      `#2  project  main             ${A.slice(0, 12)}  running       1/2`,
      `#1  project  main             ${A.slice(0, 12)}  config error  -`,
    ]);
  });
});
