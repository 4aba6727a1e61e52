import type { IncomingMessage, ServerResponse } from "node:http";
import type { Store } from "../store/store.js";
import type { BuildRecord } from "../store/build-rows.js";
import type { JobRecord } from "../store/job-rows.js";
import type { BuildService } from "../builds/create-build-service.js";
import type { Logger } from "../domain/logger.js";
import type { AccessPolicy } from "./create-access-policy.js";
import type { LiveHub } from "./create-live-hub.js";
import type { GitHubOAuth } from "./github-oauth.js";
import type { Session } from "./session-codec.js";
import type { Viewer } from "./viewer.js";
import { DASHBOARD_CSS, LIVE_JS } from "./dashboard-assets.js";
import { renderBuildsList } from "./render-builds-list.js";
import { renderBuildPage } from "./render-build-page.js";
import { listDeliveries } from "../notify/list-deliveries.js";
import { MAX_STORED_FAILURES } from "../store/cell-failure-rows.js";
import { readRepoGlance } from "./read-repo-glance.js";
import { renderRepoGlance } from "./render-repo-glance.js";
import { renderCellPage } from "./render-cell-page.js";
import { renderBadge } from "./render-badge.js";
import { tileState } from "./format.js";
import { openEventStream, parseLogCursor } from "./open-event-stream.js";
import { handleAuthRoute } from "./handle-auth-route.js";
import { createSignInLimiter, type SignInLimiter } from "./create-sign-in-limiter.js";
import { createDeviceCookies, type DeviceCookies } from "./device-cookies.js";
import { randomBytes } from "node:crypto";
import { rerunBuildRequest, rerunCellRequest, rerunFailedRequest } from "../builds/rerun-requests.js";
import { checkCsrf, readForm, readSession, readViewer, redirect, sendHtml, sendNotFound, sendText, sessionCookie, type WebContext } from "./web-request.js";

export interface DashboardOptions extends WebContext {
  store: Store;
  builds: Pick<BuildService, "submit" | "cancelJobs">;
  hub: LiveHub;
  access: AccessPolicy;
  oauth?: GitHubOAuth;
  /** This server's public URL (OAuth redirect_uri). */
  publicUrl: string;
  log: Logger;
  /** Builds per list page (default 50). */
  pageSize?: number;
  /** Open SSE streams at most (default 2,000); beyond, 503 and the browser retries. */
  maxStreams?: number;
  /** Open SSE streams per client address at most (default 200): one client cannot take every place. Behind a reverse proxy, limit per client there too. */
  maxStreamsPerClient?: number;
  /** Called before every request: re-reads the users file when it changed (createLiveWebUsers). */
  refreshUsers?: () => void;
  /** Device cookies for sign-in limits; default: a key of this process. */
  devices?: DeviceCookies;
  /** Default: createSignInLimiter(). */
  signInLimiter?: SignInLimiter;
}

interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  session: Session;
  viewer: Viewer;
  byToken: boolean;
  /** Set-Cookie when the session is new (so forms have their CSRF token). */
  cookie: Record<string, string>;
}

/**
 * The dashboards (docs/dashboards.md) as one Probot server handler:
 * returns false for paths that are not its own. Every page checks the
 * viewer against the build's repository; a build the viewer may not see is
 * answered exactly like one that does not exist.
 */
export function createDashboardHandler(options: DashboardOptions) {
  const { store, access, hub } = options;
  const pageSize = options.pageSize ?? 50;
  // Bounds failed password sign-ins per name, client and trusted browser, never for everyone at once.
  const signInLimiter = options.signInLimiter ?? createSignInLimiter();
  const devices = options.devices ?? createDeviceCookies(randomBytes(32).toString("hex"));
  const maxStreams = options.maxStreams ?? 2_000;
  const maxPerClient = options.maxStreamsPerClient ?? 200;
  let streams = 0;
  const perClient = new Map<string, number>();
  /** An SSE response, counted against maxStreams and maxStreamsPerClient; undefined (503 sent) when too many are open. */
  const openStream = (r: Request) => {
    const client = r.req.socket.remoteAddress ?? "?";
    const mine = perClient.get(client) ?? 0;
    if (streams >= maxStreams || mine >= maxPerClient) {
      sendText(r.res, 503, "Too many open streams: try again later\n", { "retry-after": "10" });
      return undefined;
    }
    streams++;
    perClient.set(client, mine + 1);
    const stream = openEventStream(r.req, r.res);
    void stream.closed.then(() => {
      streams--;
      const left = (perClient.get(client) ?? 1) - 1;
      if (left <= 0) perClient.delete(client);
      else perClient.set(client, left);
    });
    return stream;
  };

  const visibleBuild = async (r: Request, id: string | undefined): Promise<BuildRecord | undefined> => {
    const build = /^\d{1,15}$/.test(id ?? "") ? store.getBuild(Number(id)) : undefined;
    return build && (await access.canSee(r.viewer, build)) ? build : undefined;
  };
  const visibleJob = async (r: Request, buildId: string | undefined, jobId: string | undefined) => {
    const build = await visibleBuild(r, buildId);
    const job = build && jobId ? store.getJob(jobId) : undefined;
    return build && job && job.buildId === build.id ? { build, job } : undefined;
  };
  const scope = async (viewer: Viewer) => {
    const repos = store.listRepos();
    if (viewer.kind === "local") return { repos: repos.map((r) => r.repo), publicOr: undefined };
    const privateRepos = await access.visiblePrivateRepos(viewer, repos);
    const shown = new Set(privateRepos);
    return { repos: repos.filter((r) => r.visibility === "public" || shown.has(r.repo)).map((r) => r.repo), publicOr: privateRepos };
  };

  const listPage = async (r: Request, repo: string | undefined) => {
    const { repos, publicOr } = await scope(r.viewer);
    if (repo !== undefined && !repos.includes(repo)) return sendNotFound(r.res);
    const filterRepo = repo ?? (r.url.searchParams.get("repo") || undefined);
    const branch = r.url.searchParams.get("branch")?.slice(0, 255) || undefined;
    const before = Number(r.url.searchParams.get("before")) || undefined;
    const builds = filterRepo !== undefined && !repos.includes(filterRepo) ? [] : store.listBuilds({ repo: filterRepo, branch, before, publicOr, limit: pageSize + 1 });
    const shown = builds.slice(0, pageSize);
    const jobs = store.listJobsOfBuilds(shown.map((b) => b.id));
    sendHtml(r.res, 200, renderBuildsList({
      title: repo ?? "Builds",
      basePath: repo ? `/repos/${encodeURIComponent(repo)}` : "/",
      builds: shown.map((build) => ({ build, jobs: jobs.get(build.id) ?? [] })),
      filters: { repo: filterRepo, branch },
      repos,
      nextBefore: builds.length > pageSize ? shown.at(-1)?.id : undefined,
      // A repository's first page opens with its state at a glance (issue 26).
      glance: repo !== undefined && before === undefined && branch === undefined ? renderRepoGlance(readRepoGlance(store, repo), options.now()) : undefined,
      now: options.now(),
      viewer: r.viewer,
      csrf: r.session.csrf,
    }), r.cookie);
  };

  const buildPage = async (r: Request, id: string | undefined) => {
    const build = await visibleBuild(r, id);
    if (!build) return sendNotFound(r.res);
    const jobs = store.listJobs(build.id);
    // As many failures as a cell's stored buckets name (their locations and messages), at most.
    const failures = new Map(jobs.map((job) => [job.id, store.listTestResults(job.id, { outcomes: ["failed", "error"] }).slice(0, MAX_STORED_FAILURES)]));
    sendHtml(r.res, 200, renderBuildPage({ build, jobs, failures, cellFailures: store.listCellFailures(build.id), canAct: await access.canAct(r.viewer, build), now: options.now(), viewer: r.viewer, csrf: r.session.csrf, deliveries: listDeliveries(store, build.id) }), r.cookie);
  };

  const cellPage = async (r: Request, buildId: string | undefined, jobId: string | undefined) => {
    const found = await visibleJob(r, buildId, jobId);
    if (!found) return sendNotFound(r.res);
    const { build, job } = found;
    const snapshot = hub.snapshot(job.id);
    const log = snapshot ?? store.readLog(job.id);
    sendHtml(r.res, 200, renderCellPage({
      build,
      job,
      counts: snapshot?.counts ?? job.counts,
      failures: store.listTestResults(job.id, { outcomes: ["failed", "error"] }).slice(0, 200),
      slowest: store.listSlowestTests(job.id, 10),
      log,
      cursor: `${snapshot?.attempt ?? job.attempts}.${log.lines.length}`,
      live: job.state === "queued" || job.state === "running",
      canAct: await access.canAct(r.viewer, build),
      viewer: r.viewer,
      csrf: r.session.csrf,
    }), r.cookie);
  };

  /** The cell's log and results as SSE; resumes after Last-Event-ID (or ?after=) with no gap and no repeat. */
  const cellEvents = async (r: Request, buildId: string | undefined, jobId: string | undefined) => {
    const found = await visibleJob(r, buildId, jobId);
    if (!found) return sendNotFound(r.res);
    const cursor = parseLogCursor((r.req.headers["last-event-id"] as string | undefined) ?? r.url.searchParams.get("after"));
    const stream = openStream(r);
    if (!stream) return;
    const sendFrom = (attempt: number, lines: readonly string[], first: number) => {
      // first: the number of the first line in `lines`; send only those after the cursor.
      let skip = 0;
      if (cursor && cursor.attempt === attempt) skip = Math.max(0, cursor.line - (first - 1));
      else if (cursor && first === 1) stream.send("reset", { attempt });
      const rest = lines.slice(skip);
      if (rest.length > 0) stream.send("lines", { attempt, first: first + skip, lines: rest }, `${attempt}.${first + lines.length - 1}`);
    };
    const watch = hub.watchJob(found.job.id, (event) => {
      if (event.kind === "lines") {
        const skip = cursor && cursor.attempt === event.attempt ? Math.max(0, cursor.line - (event.first - 1)) : 0;
        const rest = event.lines.slice(skip);
        if (rest.length > 0) stream.send("lines", { attempt: event.attempt, first: event.first + skip, lines: rest }, `${event.attempt}.${event.first + event.lines.length - 1}`);
      } else if (event.kind === "counts") stream.send("counts", event);
      else if (event.kind === "started") {
        stream.send("reset", { attempt: event.attempt });
        stream.send("state", { state: "running" });
      } else {
        stream.send(event.state === "queued" ? "state" : "end", { state: event.state });
        if (event.state !== "queued") stream.close();
      }
    });
    void stream.closed.then(watch.stop);
    if (watch.snapshot) {
      sendFrom(watch.snapshot.attempt, watch.snapshot.lines, 1);
      stream.send("counts", { counts: watch.snapshot.counts, failures: [] });
      return;
    }
    const job = store.getJob(found.job.id) as JobRecord;
    if (job.state === "queued") return stream.send("state", { state: "queued" });
    // Not running here: what the store has is the whole log.
    sendFrom(job.attempts, store.readLog(job.id).lines, 1);
    if (job.state !== "running") {
      stream.send("end", { state: tileState(job) });
      stream.close();
      watch.stop();
    }
  };

  /** Tile changes of builds the viewer may see: of one build, or of every build (list pages). */
  const tileEvents = async (r: Request, buildId: string | undefined) => {
    const only = buildId === undefined ? undefined : await visibleBuild(r, buildId);
    if (buildId !== undefined && !only) return sendNotFound(r.res);
    const stream = openStream(r);
    if (!stream) return;
    // Asked once per repository, visibility and minute: a repository that turned private (its new builds
    // are private) or a GitHub permission taken back stops the tiles (issue 23: cached per repo for the stream's life).
    const seen = new Map<string, { allowed: Promise<boolean>; at: number }>();
    const stop = hub.watchTiles((event) => {
      if (only && event.build.id !== only.id) return;
      const key = `${event.build.repo}\0${event.build.visibility}`;
      const now = options.now();
      let cached = seen.get(key);
      if (!cached || now - cached.at > 60_000) {
        cached = { allowed: access.canSee(r.viewer, event.build), at: now };
        seen.set(key, cached);
      }
      const allowed = cached.allowed;
      void allowed.then((ok) => ok && stream.send("tile", { buildId: event.build.id, jobId: event.jobId, state: event.state, buildState: event.buildState }));
    });
    void stream.closed.then(stop);
  };

  const badge = async (r: Request, repo: string) => {
    const known = store.listRepos().find((x) => x.repo === repo);
    // Public repositories only: a private one's badge is as unknown as a missing one.
    if (!known || known.visibility !== "public") return sendNotFound(r.res);
    const branch = r.url.searchParams.get("branch") || undefined;
    const cell = r.url.searchParams.get("cell") || undefined;
    const [build] = store.listBuilds({ repo, branch, visibility: "public", limit: 1 });
    let status = build ? (build.status.conclusion ?? build.status.state) : "unknown";
    let label = "build";
    if (build && cell) {
      const job = store.listJobs(build.id).find((j) => `py${j.cell.python}-dj${j.cell.django}` === cell);
      status = job ? tileState(job) : "unknown";
      label = cell;
    }
    const etag = `"${build?.id ?? 0}-${encodeURIComponent(label)}-${status}"`;
    const headers = {
      "content-type": "image/svg+xml; charset=utf-8",
      // Short: README badges (GitHub's camo proxy honours this) follow new builds within a minute.
      "cache-control": "public, max-age=60, stale-while-revalidate=60",
      etag,
      "x-content-type-options": "nosniff",
      // Opened on its own, an SVG is a document: no script, no fetches.
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    };
    if (r.req.headers["if-none-match"] === etag) {
      r.res.writeHead(304, headers).end();
      return;
    }
    r.res.writeHead(200, headers).end(r.req.method === "HEAD" ? undefined : renderBadge(label, status));
  };

  /** POST actions: CSRF first (unless by token), then permission, then the build service's own paths. */
  const action = async (r: Request, buildId: string | undefined, jobId: string | undefined, verb: string) => {
    const form = await readForm(r.req);
    if (!r.byToken && (!form || !checkCsrf(r.session, form.get("csrf") ?? undefined))) return sendText(r.res, 403, "Missing or wrong CSRF token: reload the page and try again\n");
    const build = await visibleBuild(r, buildId);
    const job = build && jobId ? store.getJob(jobId) : undefined;
    if (!build || (jobId !== undefined && (!job || job.buildId !== build.id))) return sendNotFound(r.res);
    if (!(await access.canAct(r.viewer, build))) return sendText(r.res, 403, "You may not change this build\n");
    const request = rerunBuildRequest(build);
    if (!request) return sendText(r.res, 409, "This build cannot be re-run (it has no recorded request)\n");
    let target = `/builds/${build.id}`;
    if (verb === "cancel") {
      const jobs = job ? [job] : store.listJobs(build.id);
      await options.builds.cancelJobs(jobs.filter((j) => j.state === "queued" || j.state === "running"), `cancelled on the dashboard by ${r.viewer.kind === "github" ? r.viewer.login : r.viewer.kind === "local" ? r.viewer.name : "?"}`);
      if (job) target += `/jobs/${job.id}`;
    } else {
      const failed = job ? store.listTestResults(job.id, { outcomes: ["failed", "error"] }).map((t) => t.id) : [];
      const next = verb === "rerun-failed" && job ? rerunFailedRequest(request, job, failed) : job ? rerunCellRequest(request, job) : request;
      const submitted = options.builds.submit(next);
      if (submitted) target = `/builds/${submitted.build.id}`;
    }
    options.log.info({ build: build.id, job: job?.id, verb }, "dashboard action");
    redirect(r.res, target);
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://ponyci.invalid");
    const path = url.pathname;
    const get = req.method === "GET" || req.method === "HEAD";
    if (get && path === "/assets/dashboard.css") return asset(res, "text/css; charset=utf-8", DASHBOARD_CSS);
    if (get && path === "/assets/live.js") return asset(res, "text/javascript; charset=utf-8", LIVE_JS);
    const routed = route(req.method ?? "GET", path);
    if (!routed) return false;
    options.refreshUsers?.();
    const { session, fresh } = readSession(req, options);
    const { viewer, byToken } = readViewer(req, session, options);
    const r: Request = { req, res, url, session, viewer, byToken, cookie: fresh ? { "set-cookie": sessionCookie(session, options) } : {} };
    const [name, a, b, c] = routed;
    switch (name) {
      case "list": return done(listPage(r, undefined));
      case "repo": return done(listPage(r, a));
      case "build": return done(buildPage(r, a));
      case "cell": return done(cellPage(r, a, b));
      case "cell-events": return done(cellEvents(r, a, b));
      case "build-events": return done(tileEvents(r, a));
      case "list-events": return done(tileEvents(r, undefined));
      case "badge": return done(badge(r, a ?? ""));
      case "action": return done(action(r, a, b, c as string));
      default: return done(handleAuthRoute(name, r, { ...options, signInLimiter, devices }));
    }
  };
}

async function done(work: Promise<unknown>): Promise<true> {
  await work;
  return true;
}

function asset(res: ServerResponse, type: string, body: string): true {
  res.writeHead(200, { "content-type": type, "cache-control": "public, max-age=300", "x-content-type-options": "nosniff" }).end(body);
  return true;
}

/** [route, ...params] for the dashboards' paths; undefined for others (the webhook path, the bridge, Probot's). */
function route(method: string, path: string): [string, ...(string | undefined)[]] | undefined {
  const get = method === "GET" || method === "HEAD";
  const post = method === "POST";
  let m: RegExpExecArray | null;
  if (get && path === "/") return ["list"];
  if (get && path === "/events") return ["list-events"];
  if (get && (m = /^\/repos\/(.+?)\/?$/.exec(path))) return ["repo", safeDecode(m[1] as string)];
  if (get && (m = /^\/builds\/([^/]+)\/?$/.exec(path))) return ["build", m[1] as string];
  if (get && (m = /^\/builds\/([^/]+)\/events$/.exec(path))) return ["build-events", m[1] as string];
  if (get && (m = /^\/builds\/([^/]+)\/jobs\/([^/]+)\/?$/.exec(path))) return ["cell", m[1] as string, safeDecode(m[2] as string)];
  if (get && (m = /^\/builds\/([^/]+)\/jobs\/([^/]+)\/events$/.exec(path))) return ["cell-events", m[1] as string, safeDecode(m[2] as string)];
  if (get && (m = /^\/badge\/(.+)\.svg$/.exec(path))) return ["badge", safeDecode(m[1] as string)];
  if (post && (m = /^\/builds\/([^/]+)\/(rerun|cancel)$/.exec(path))) return ["action", m[1] as string, undefined, m[2] as string];
  if (post && (m = /^\/builds\/([^/]+)\/jobs\/([^/]+)\/(rerun|rerun-failed|cancel)$/.exec(path))) return ["action", m[1] as string, safeDecode(m[2] as string), m[3] as string];
  if (get && path === "/login") return ["login-form"];
  if (post && path === "/login") return ["login"];
  if (post && path === "/logout") return ["logout"];
  if (get && path === "/login/github") return ["github-start"];
  if (get && path === "/login/github/callback") return ["github-callback"];
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return "\u0000";
  }
}
