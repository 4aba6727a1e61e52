/**
 * A fake GitHub REST API as a real HTTP server on 127.0.0.1, for servers
 * under test that run as child processes (nock only intercepts its own
 * process). Point the child at it with `PONYCI_GITHUB_API_URL=<url>`.
 *
 *   const github = await startFakeGitHubServer();
 *   github.setFiles("pony", "app", { ".github/ponyci.yml": "python: [\"3.11\"]\n" });
 *   github.failNext({ method: "PATCH", pathTemplate: CHECK_RUN, times: 1, when: isCompletion });
 *   ... run the code under test ...
 *   expect(github.violations()).toEqual([]);
 *   await github.close();
 *
 * It answers what Pony CI's server asks: installation tokens, the contents
 * API (configured files; 404 for the rest), check runs (create, update, list
 * for a commit). Every request is recorded with the status it got, and every
 * body is checked against GitHub's own schema (github-schema.ts): a body that
 * breaks it gets GitHub's 422 and the errors are recorded. Scripted failures
 * (`failNext`) answer e.g. 502 instead of the real reply, after validation.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { validateRequestBody } from "./github-schema.js";

export const TOKENS = "/app/installations/{installation_id}/access_tokens";
export const CONTENTS = "/repos/{owner}/{repo}/contents/{path}";
export const CHECK_RUNS = "/repos/{owner}/{repo}/check-runs";
export const CHECK_RUN = "/repos/{owner}/{repo}/check-runs/{check_run_id}";
export const CHECK_RUNS_FOR_REF = "/repos/{owner}/{repo}/commits/{ref}/check-runs";

/** One request the fake answered. */
export interface FakeGitHubRequest {
  /** Upper case: "PATCH". */
  method: string;
  /** As in GitHub's spec ("/repos/{owner}/{repo}/check-runs/{check_run_id}"); undefined for a route the fake does not know. */
  pathTemplate?: string;
  /** As requested, query string included. */
  path: string;
  params: Record<string, string>;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  /** Schema violations; empty when the body is valid. */
  errors: string[];
  /** The status the fake answered (or would have: see `dropped`). */
  status: number;
  /** The request took effect but its response was never sent (`failNext({ dropResponse: true })`). */
  dropped?: boolean;
  /** When it arrived (Date.now()). */
  at: number;
  /** Body bytes written to the socket (for a streamed file: until the client hung up). */
  bytesSent?: number;
}

/**
 * A file too big to keep as a string: `bytes` of "x" lines, generated as
 * they are sent (64 KiB at a time, with backpressure). With `declareLength`
 * false it goes chunked, with no Content-Length, so only counting the bytes
 * received can notice its size.
 */
export interface StreamedFile {
  bytes: number;
  declareLength?: boolean;
}

/**
 * A scripted failure: the next `times` requests matching answer `status`;
 * or, with `dropResponse`, take effect as usual but get no response at all
 * (GitHub did the work, the answer was lost: the caller cannot know).
 */
export interface FailureRule {
  method: string;
  pathTemplate: string;
  /** Default 1; Infinity until `clearFailures()`. */
  times?: number;
  /** Default 502. */
  status?: number;
  headers?: Record<string, string>;
  /** Apply the request, then never answer it (the connection stays open until `close()`). */
  dropResponse?: boolean;
  /** Only requests for which this is true count (e.g. completions only). */
  when?: (request: Pick<FakeGitHubRequest, "method" | "path" | "params" | "body">) => boolean;
}

/** A check run as the fake keeps it: what was created, with every update merged in. */
export interface FakeCheckRun {
  id: number;
  owner: string;
  repo: string;
  fields: Record<string, unknown>;
}

export interface FakeGitHubServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request answered, in order. */
  readonly requests: readonly FakeGitHubRequest[];
  /** Files the contents API serves for a repository (replacing earlier ones). */
  setFiles(owner: string, repo: string, files: Record<string, string | StreamedFile>): void;
  failNext(rule: FailureRule): void;
  clearFailures(): void;
  /** Bodies sent to one operation, in order; `accepted` keeps only those answered 2xx (a dropped answer counts: it took effect). */
  bodies(method: string, pathTemplate: string, options?: { accepted?: boolean }): unknown[];
  /** Requests whose body broke GitHub's schema, or that went to a route the fake does not know. */
  violations(): FakeGitHubRequest[];
  /** Check runs created so far, with their updates applied. */
  checkRuns(): FakeCheckRun[];
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

interface Route {
  method: string;
  pathTemplate: string;
  pattern: RegExp;
  names: string[];
}

/** "/repos/{owner}/{repo}/contents/{path}" → a regex; `{path}` may span slashes, the others not. */
function compileRoute(method: string, pathTemplate: string): Route {
  const names: string[] = [];
  const source = pathTemplate
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const name = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(name);
      return name === "path" ? "(.+)" : "([^/]+)";
    })
    .join("");
  return { method, pathTemplate, pattern: new RegExp(`^${source}$`), names };
}

const ROUTES: Route[] = [
  compileRoute("POST", TOKENS),
  compileRoute("GET", CONTENTS),
  compileRoute("POST", CHECK_RUNS),
  compileRoute("PATCH", CHECK_RUN),
  compileRoute("GET", CHECK_RUNS_FOR_REF),
];

function matchRoute(method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = decodeURIComponent(match[i + 1] ?? "")));
    return { route, params };
  }
  return undefined;
}

function parseBody(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  stream?: StreamedFile;
}

/** Writes a {@link StreamedFile} a chunk at a time, waiting for the socket to drain; stops when the client hangs up. */
function sendStream(res: http.ServerResponse, status: number, headers: Record<string, string>, file: StreamedFile, record: FakeGitHubRequest): void {
  const chunk = Buffer.from(`${"x".repeat(1023)}\n`.repeat(64));
  res.writeHead(status, { ...headers, ...(file.declareLength === false ? {} : { "content-length": String(file.bytes) }) });
  record.bytesSent = 0;
  let closed = false;
  res.on("close", () => (closed = true));
  const pump = (): void => {
    while (!closed && (record.bytesSent ?? 0) < file.bytes) {
      const piece = chunk.subarray(0, Math.min(chunk.length, file.bytes - (record.bytesSent ?? 0)));
      record.bytesSent = (record.bytesSent ?? 0) + piece.length;
      if (!res.write(piece)) {
        res.once("drain", pump);
        return;
      }
    }
    if (!closed) res.end();
  };
  pump();
}

/** Starts the fake on 127.0.0.1 (port 0 unless given). */
export async function startFakeGitHubServer(options: { port?: number; firstCheckRunId?: number } = {}): Promise<FakeGitHubServer> {
  const requests: FakeGitHubRequest[] = [];
  const files = new Map<string, Record<string, string | StreamedFile>>();
  const runs = new Map<number, FakeCheckRun>();
  let rules: Array<FailureRule & { left: number }> = [];
  let nextId = options.firstCheckRunId ?? 1000;
  let baseUrl = "";

  const runResponse = (run: FakeCheckRun) => {
    const f = run.fields;
    return {
      id: run.id,
      node_id: `CR_fake${run.id}`,
      name: f.name,
      head_sha: f.head_sha,
      external_id: f.external_id ?? "",
      url: `${baseUrl}/repos/${run.owner}/${run.repo}/check-runs/${run.id}`,
      html_url: `https://github.com/${run.owner}/${run.repo}/runs/${run.id}`,
      details_url: f.details_url ?? null,
      status: f.conclusion !== undefined ? "completed" : (f.status ?? "queued"),
      conclusion: f.conclusion ?? null,
      started_at: f.started_at ?? null,
      completed_at: f.completed_at ?? null,
      output: f.output ?? { title: null, summary: null, text: null, annotations_count: 0 },
    };
  };

  const answer = (route: Route, params: Record<string, string>, url: URL, body: unknown): Reply => {
    switch (`${route.method} ${route.pathTemplate}`) {
      case `POST ${TOKENS}`:
        return {
          status: 201,
          body: {
            token: `ghs_fake_token_${params.installation_id}`,
            expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
            permissions: { checks: "write", contents: "read", metadata: "read", pull_requests: "read" },
            repository_selection: "all",
          },
        };
      case `GET ${CONTENTS}`: {
        const tree = files.get(`${params.owner}/${params.repo}`) ?? {};
        const file = tree[params.path ?? ""];
        // A directory: GitHub's JSON listing of its entries (whatever media type was asked for).
        const prefix = `${params.path ?? ""}/`;
        const children = [...new Set(Object.keys(tree).filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split("/")[0] ?? ""))];
        if (file === undefined && children.length > 0) {
          return { status: 200, body: children.map((name) => ({ name, path: `${prefix}${name}`, type: `${prefix}${name}` in tree ? "file" : "dir" })) };
        }
        if (file === undefined) return { status: 404, body: { message: "Not Found" } };
        const headers = { "content-type": "text/plain; charset=utf-8" };
        return typeof file === "string" ? { status: 200, body: file, headers } : { status: 200, stream: file, headers };
      }
      case `POST ${CHECK_RUNS}`: {
        const run: FakeCheckRun = { id: nextId++, owner: params.owner ?? "", repo: params.repo ?? "", fields: { ...(body as Record<string, unknown>) } };
        runs.set(run.id, run);
        return { status: 201, body: runResponse(run) };
      }
      case `PATCH ${CHECK_RUN}`: {
        const run = runs.get(Number(params.check_run_id));
        if (!run || run.owner !== params.owner || run.repo !== params.repo) return { status: 404, body: { message: "Not Found" } };
        Object.assign(run.fields, body as Record<string, unknown>);
        return { status: 200, body: runResponse(run) };
      }
      case `GET ${CHECK_RUNS_FOR_REF}`: {
        const name = url.searchParams.get("check_name");
        const found = [...runs.values()].filter(
          (run) => run.owner === params.owner && run.repo === params.repo && run.fields.head_sha === params.ref && (name === null || run.fields.name === name),
        );
        return { status: 200, body: { total_count: found.length, check_runs: found.map(runResponse) } };
      }
      default:
        return { status: 404, body: { message: "Not Found" } };
    }
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, raw: string): void => {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = parseBody(raw);
    const matched = matchRoute(method, url.pathname);
    const record: FakeGitHubRequest = {
      method,
      pathTemplate: matched?.route.pathTemplate,
      path: req.url ?? "/",
      params: matched?.params ?? {},
      body,
      errors: matched ? validateRequestBody(method, matched.route.pathTemplate, body) : [`${method} ${url.pathname} is not a route this fake knows`],
      status: 0,
      at: Date.now(),
    };
    let reply: Reply;
    if (!matched) {
      reply = { status: 404, body: { message: "Not Found" } };
    } else if (record.errors.length > 0) {
      reply = { status: 422, body: { message: `Invalid request.\n\n${record.errors.join("\n")}`, documentation_url: "https://docs.github.com/rest", status: "422" } };
    } else {
      const rule = rules.find((r) => r.left > 0 && r.method === method && r.pathTemplate === matched.route.pathTemplate && (r.when?.(record) ?? true));
      if (rule?.dropResponse) {
        rule.left--;
        record.status = answer(matched.route, matched.params, url, body).status;
        record.dropped = true;
        requests.push(record);
        return;
      } else if (rule) {
        rule.left--;
        const status = rule.status ?? 502;
        reply = { status, body: { message: status === 502 ? "Server Error" : `scripted ${status}` }, headers: rule.headers };
      } else {
        reply = answer(matched.route, matched.params, url, body);
      }
    }
    record.status = reply.status;
    requests.push(record);
    if (reply.stream) {
      sendStream(res, reply.status, reply.headers ?? {}, reply.stream, record);
      return;
    }
    const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? "");
    res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", ...reply.headers, "content-length": Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString("utf8"));
      } catch (error) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(`fake GitHub failed: ${String(error)}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    port,
    requests,
    setFiles: (owner, repo, given) => void files.set(`${owner}/${repo}`, { ...given }),
    failNext: (rule) => void rules.push({ ...rule, method: rule.method.toUpperCase(), left: rule.times ?? 1 }),
    clearFailures: () => {
      rules = [];
    },
    bodies: (method, pathTemplate, { accepted = false } = {}) =>
      requests
        .filter((r) => r.method === method.toUpperCase() && r.pathTemplate === pathTemplate && (!accepted || (r.status >= 200 && r.status < 300)))
        .map((r) => r.body),
    violations: () => requests.filter((r) => r.errors.length > 0),
    checkRuns: () => [...runs.values()].map((run) => ({ ...run, fields: { ...run.fields } })),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
