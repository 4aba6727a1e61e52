/**
 * A fake GitHub REST API for tests, at the HTTP layer (nock 14 intercepts
 * native fetch, which Octokit 7 / Probot 14 use). Every request body is
 * checked against GitHub's own schema (see github-schema.ts) and recorded.
 *
 *   nock.disableNetConnect();
 *   const github = nockGitHub().installationToken(2).createCheckRun("o", "r").updateCheckRun("o", "r", 1000, { times: 3 });
 *   ... run the code under test ...
 *   github.assertDone();                                   // nothing pending, every body valid
 *   expect(github.bodies("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}")).toHaveLength(3);
 *
 * A body that breaks the schema gets the answer GitHub would give (422
 * "Invalid request" with the schema errors in the message), so the code under
 * test sees a realistic failure; the request is still recorded, with its
 * errors, and `assertDone()` fails on it. The body matcher itself accepts
 * every body: rejecting there would turn a schema error into nock's opaque
 * "No match for request".
 */
import nock from "nock";
import { hasOperation, validateRequestBody } from "./github-schema.js";

export const GITHUB_API_URL = "https://api.github.com";

/** One request the fake answered. */
export interface RecordedGitHubRequest {
  /** Upper case: "PATCH". */
  method: string;
  /** As in GitHub's spec: "/repos/{owner}/{repo}/check-runs/{check_run_id}". */
  pathTemplate: string;
  /** As requested: "/repos/o/r/check-runs/1000". */
  path: string;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  /** Schema violations; empty when the body is valid. */
  errors: string[];
  /** What the fake answered (e.g. the created check run, with its id). */
  response?: unknown;
}

/** What a fake endpoint answers with a valid body. */
export type FakeReply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | ((request: RecordedGitHubRequest) => { status: number; body?: unknown; headers?: Record<string, string> });

export interface InterceptOptions {
  /** How many requests this interceptor answers (default 1). */
  times?: number;
}

export interface GitHubApiFakeOptions {
  /** Default https://api.github.com. */
  baseUrl?: string;
  /** First id handed out by createCheckRun (default 1000; then 1001, ...). */
  firstCheckRunId?: number;
}

/** Fills a path template; parameters left out match any single segment. */
function pathMatcher(pathTemplate: string, params: Record<string, string | number>): string | RegExp {
  let open = false;
  const parts = pathTemplate.split(/(\{[^}]+\})/).map((part) => {
    const name = /^\{([^}]+)\}$/.exec(part)?.[1];
    if (name === undefined) return { literal: part };
    const value = params[name];
    if (value === undefined) {
      open = true;
      return { literal: undefined };
    }
    return { literal: encodeURIComponent(String(value)) };
  });
  if (!open) return parts.map((p) => p.literal).join("");
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${parts.map((p) => (p.literal === undefined ? "[^/?]+" : escape(p.literal))).join("")}(\\?.*)?$`);
}

function parseBody(body: unknown): unknown {
  if (body === undefined || body === "") return undefined;
  if (typeof body !== "string") return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** A nock scope on GitHub's API plus a record of every request it answered. */
export class GitHubApiFake {
  readonly scope: nock.Scope;
  /** Every request answered, valid or not, in order. */
  readonly requests: RecordedGitHubRequest[] = [];
  private nextCheckRunId: number;

  constructor(options: GitHubApiFakeOptions = {}) {
    this.scope = nock(options.baseUrl ?? GITHUB_API_URL);
    this.nextCheckRunId = options.firstCheckRunId ?? 1000;
  }

  /**
   * Registers an interceptor for any operation in GitHub's spec. `params`
   * fills the path template; a parameter left out matches any value. Query
   * strings are accepted as sent. Throws if the operation is not in the spec.
   */
  intercept(method: string, pathTemplate: string, params: Record<string, string | number>, reply: FakeReply, options: InterceptOptions = {}): this {
    const upper = method.toUpperCase();
    if (!hasOperation(upper, pathTemplate)) {
      throw new Error(`${upper} ${pathTemplate} is not in GitHub's REST spec: fix the method or path template.`);
    }
    this.scope
      .intercept(pathMatcher(pathTemplate, params), upper, () => true)
      .query(true)
      .times(options.times ?? 1)
      .reply((uri: string, rawBody: nock.Body) => {
        const body = parseBody(rawBody);
        const request: RecordedGitHubRequest = {
          method: upper,
          pathTemplate,
          path: uri,
          body,
          errors: validateRequestBody(upper, pathTemplate, body),
        };
        this.requests.push(request);
        if (request.errors.length > 0) {
          return [422, { message: `Invalid request.\n\n${request.errors.join("\n")}`, documentation_url: "https://docs.github.com/rest", status: "422" }];
        }
        const answer = typeof reply === "function" ? reply(request) : reply;
        request.response = answer.body;
        return [answer.status, (answer.body ?? "") as nock.ReplyBody, { "content-type": "application/json; charset=utf-8", ...answer.headers }];
      });
    return this;
  }

  /** POST /app/installations/{id}/access_tokens → 201 with a token good for an hour. */
  installationToken(installationId: number, options: { token?: string; permissions?: Record<string, string> } & InterceptOptions = {}): this {
    const body = {
      token: options.token ?? "ghs_test_installation_token",
      expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      permissions: options.permissions ?? { checks: "write", contents: "read", metadata: "read", pull_requests: "read" },
      repository_selection: "all",
    };
    return this.intercept("POST", "/app/installations/{installation_id}/access_tokens", { installation_id: installationId }, { status: 201, body }, options);
  }

  /**
   * POST /repos/{owner}/{repo}/check-runs → 201 with a check run echoing the
   * request; ids count up from `firstCheckRunId`.
   */
  createCheckRun(owner: string, repo: string, options: InterceptOptions = {}): this {
    return this.intercept("POST", "/repos/{owner}/{repo}/check-runs", { owner, repo }, (request) => {
      const sent = request.body as Record<string, unknown>;
      const id = this.nextCheckRunId++;
      return { status: 201, body: checkRunResponse(owner, repo, id, sent) };
    }, options);
  }

  /**
   * PATCH /repos/{owner}/{repo}/check-runs/{check_run_id} → 200. Leave
   * `checkRunId` undefined to accept any id.
   */
  updateCheckRun(owner: string, repo: string, checkRunId?: number, options: InterceptOptions = {}): this {
    const params: Record<string, string | number> = { owner, repo };
    if (checkRunId !== undefined) params.check_run_id = checkRunId;
    return this.intercept("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", params, (request) => {
      const id = Number(/check-runs\/(\d+)/.exec(request.path)?.[1] ?? checkRunId ?? 0);
      return { status: 200, body: checkRunResponse(owner, repo, id, request.body as Record<string, unknown>) };
    }, options);
  }

  /** Bodies of the recorded requests to one operation, in order. */
  bodies(method: string, pathTemplate: string): unknown[] {
    const upper = method.toUpperCase();
    return this.requests.filter((r) => r.method === upper && r.pathTemplate === pathTemplate).map((r) => r.body);
  }

  /**
   * Check runs as GitHub would show them: each create with its id, and the
   * PATCHes sent to that id after it, in order.
   */
  checkRuns(owner: string, repo: string): Array<{ id: number; create: Record<string, unknown>; updates: Array<Record<string, unknown>> }> {
    const runs = this.requests
      .filter((r) => r.method === "POST" && r.path === `/repos/${owner}/${repo}/check-runs` && r.errors.length === 0)
      .map((r) => ({ id: (r.response as { id: number }).id, create: r.body as Record<string, unknown>, updates: [] as Array<Record<string, unknown>> }));
    for (const r of this.requests) {
      const id = r.method === "PATCH" ? Number(new RegExp(`^/repos/${owner}/${repo}/check-runs/(\\d+)$`).exec(r.path)?.[1]) : NaN;
      runs.find((run) => run.id === id)?.updates.push(r.body as Record<string, unknown>);
    }
    return runs;
  }

  /** Requests whose body broke GitHub's schema. */
  violations(): RecordedGitHubRequest[] {
    return this.requests.filter((r) => r.errors.length > 0);
  }

  /** Throws unless every interceptor was used and every body was valid. */
  assertDone(): void {
    const bad = this.violations();
    if (bad.length > 0) {
      throw new Error(`GitHub fake got invalid bodies:\n${bad.map((r) => `${r.method} ${r.path}:\n  ${r.errors.join("\n  ")}`).join("\n")}`);
    }
    const pending = this.scope.pendingMocks();
    if (pending.length > 0) throw new Error(`GitHub fake still expects: ${pending.join(", ")}`);
  }
}

/** The fields of a check run Octokit callers read back. */
function checkRunResponse(owner: string, repo: string, id: number, sent: Record<string, unknown>): Record<string, unknown> {
  const status = sent.conclusion !== undefined ? "completed" : (sent.status ?? "queued");
  return {
    id,
    node_id: `CR_fake${id}`,
    name: sent.name ?? "check",
    head_sha: sent.head_sha ?? "0000000000000000000000000000000000000000",
    external_id: sent.external_id ?? "",
    url: `${GITHUB_API_URL}/repos/${owner}/${repo}/check-runs/${id}`,
    html_url: `https://github.com/${owner}/${repo}/runs/${id}`,
    details_url: sent.details_url ?? null,
    status,
    conclusion: sent.conclusion ?? null,
    started_at: sent.started_at ?? null,
    completed_at: sent.completed_at ?? null,
    output: sent.output ?? { title: null, summary: null, text: null, annotations_count: 0 },
  };
}

/** Starts a GitHub API fake (see the file comment). */
export function nockGitHub(options: GitHubApiFakeOptions = {}): GitHubApiFake {
  return new GitHubApiFake(options);
}
