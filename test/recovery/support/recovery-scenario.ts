/**
 * One recovery scenario: a fake GitHub on 127.0.0.1, a fixture repository
 * standing in for a GitHub one, a data directory kept across restarts of
 * `ponyci serve` child processes, and clean-up of every process and
 * container the scenario caused (by PID and by owner label, never by name).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { createFixtureRepo, FIXTURES, type FixtureRepo } from "../../support/fixture-repo.js";
import { CHECK_RUN, CHECK_RUNS, startFakeGitHubServer, type FakeCheckRun, type FakeGitHubServer } from "../../support/fake-github-server.js";
import { LABEL_JOB, LABEL_OWNER } from "../../../runner/src/docker/labels.js";
import { killPonyCi, startPonyCi, type PonyCiProcess } from "./ponyci-process.js";
import { APP_ID, WEBHOOK_SECRET, testPrivateKey, postWebhook, pushPayload } from "../../support/signed-webhooks.js";

export const OWNER = "pony";

/** A check-run POST body, as far as these tests read it. */
export interface CheckRunCreate {
  external_id?: string;
  name?: string;
  status?: string;
  started_at?: string;
}

/** The aggregate check run of a build ("Pony CI", external_id "ponyci-build:<buildId>"), by its create body or fields. */
export function isAggregateRun(fields: { name?: unknown; external_id?: unknown } | undefined): boolean {
  return fields?.name === "Pony CI" || (typeof fields?.external_id === "string" && fields.external_id.startsWith("ponyci-build:"));
}

/** A check-run PATCH body, as far as these tests read it. */
export interface CheckRunPatch {
  status?: string;
  conclusion?: string;
  started_at?: string;
  output?: { title?: string; summary?: string };
}

export interface RecoveryScenario {
  github: FakeGitHubServer;
  repo: FixtureRepo;
  /** "pony/<name>" */
  fullName: string;
  dataDir: string;
  /** Every server process started, oldest first. */
  servers: PonyCiProcess[];
  /** Starts `ponyci serve` on the scenario's data dir and waits for /ping. */
  start(env?: Record<string, string>): Promise<PonyCiProcess>;
  /** Posts a signed push webhook of the fixture's commit to `server`. */
  push(server: PonyCiProcess, delivery?: string): Promise<{ status: number; body: string }>;
  /**
   * PATCH bodies sent for the CELLS' check runs of this repository (accepted
   * ones only, unless told); the aggregate "Pony CI" run's are left out (see
   * `aggregatePatches`).
   */
  patches(options?: { accepted?: boolean }): CheckRunPatch[];
  /** POST bodies (check run creates) of the cells' runs for this repository; the aggregate's are left out. */
  creates(options?: { accepted?: boolean }): CheckRunCreate[];
  /** PATCH bodies sent for the aggregate "Pony CI" run(s) of this repository. */
  aggregatePatches(options?: { accepted?: boolean }): CheckRunPatch[];
  /** POST bodies creating the aggregate "Pony CI" run(s) of this repository. */
  aggregateCreates(options?: { accepted?: boolean }): CheckRunCreate[];
  /** The fake's cells' check runs of this repository (the aggregate left out). */
  cellRuns(): FakeCheckRun[];
  /** The fake's aggregate "Pony CI" runs of this repository. */
  aggregateRuns(): FakeCheckRun[];
  /**
   * Every time a cell's run was told it started: a create sent in_progress
   * (a cell that starts at once) or an in_progress PATCH with started_at
   * (a queued run starting, or a run that existed before a restart).
   */
  starts(options?: { accepted?: boolean }): Array<CheckRunCreate | CheckRunPatch>;
  /** Containers of `jobId` created by this scenario's servers (`running`: only running ones). */
  containersOf(jobId: string, options?: { running?: boolean }): Promise<string[]>;
  /**
   * True once the harness inside the job's running test container has
   * reported a test (read with `docker exec` from PONYCI_EVENTS): the tests
   * are under way and the harness forwards signals to them.
   */
  testsUnderWay(jobId: string): Promise<boolean>;
  /** Polls `check` (sync or async) until it returns something other than undefined/false. */
  waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, ms: number, what: string): Promise<T>;
  /** The servers' output, for a failure message. */
  report(): string;
  /** Kills every server still running, removes their containers, the data dir, the fixture; closes the fake. */
  dispose(): Promise<void>;
}

export interface RecoveryScenarioOptions {
  /** test/fixtures/projects/<fixture>; default django-slow. */
  fixture?: string;
  /** The repository name on the fake GitHub. */
  name: string;
  /** Env for every server of the scenario (e.g. DOCKER_HOST). */
  env?: Record<string, string>;
}

/** Sets up a scenario; the caller must `dispose()` it (in `finally` or `afterEach`). */
export async function createRecoveryScenario(options: RecoveryScenarioOptions): Promise<RecoveryScenario> {
  const fixture = options.fixture ?? "django-slow";
  const github = await startFakeGitHubServer();
  const repo = await createFixtureRepo(fixture);
  const fullName = `${OWNER}/${options.name}`;
  github.setFiles(OWNER, options.name, { ".github/ponyci.yml": readFileSync(path.join(FIXTURES, fixture, ".github/ponyci.yml"), "utf8") });
  const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-recovery-"));
  const servers: PonyCiProcess[] = [];
  const docker = (args: string[]) => execa("docker", args, { env: options.env?.DOCKER_HOST ? { DOCKER_HOST: options.env.DOCKER_HOST } : {} });
  const ours = (owner: string) => servers.some((server) => owner === `${hostname()}:${server.pid}`);
  const serverOptions = (env?: Record<string, string>) => ({
    dataDir,
    githubUrl: github.url,
    appId: APP_ID,
    privateKey: testPrivateKey(),
    webhookSecret: WEBHOOK_SECRET,
    env: { ...options.env, ...env },
  });
  const inRepo = (r: { params: Record<string, string> }) => r.params.owner === OWNER && r.params.repo === options.name;
  const requestsOf = (method: string, template: string, accepted: boolean) =>
    github.requests.filter((r) => r.method === method && r.pathTemplate === template && inRepo(r) && (!accepted || (r.status >= 200 && r.status < 300)));
  const runsInRepo = () => github.checkRuns().filter((run) => run.owner === OWNER && run.repo === options.name);
  const aggregateIds = () => new Set(runsInRepo().filter((run) => isAggregateRun(run.fields)).map((run) => String(run.id)));
  const patchesOf = (accepted: boolean, aggregate: boolean) => {
    const ids = aggregateIds();
    return requestsOf("PATCH", CHECK_RUN, accepted).filter((r) => ids.has(r.params.check_run_id ?? "") === aggregate).map((r) => r.body as CheckRunPatch);
  };
  const createsOf = (accepted: boolean, aggregate: boolean) =>
    requestsOf("POST", CHECK_RUNS, accepted).map((r) => r.body as CheckRunCreate).filter((body) => isAggregateRun(body) === aggregate);

  const listContainers = async (filters: string[]): Promise<Array<{ id: string; owner: string }>> => {
    const { stdout } = await docker(["ps", "-a", ...filters.flatMap((f) => ["--filter", f]), "--format", `{{.ID}} {{.Label "${LABEL_OWNER}"}}`]);
    return stdout.split("\n").filter(Boolean).map((line) => {
      const [id = "", owner = ""] = line.split(" ");
      return { id, owner };
    });
  };

  const scenario: RecoveryScenario = {
    github,
    repo,
    fullName,
    dataDir,
    servers,
    async start(env) {
      const server = await startPonyCi(serverOptions(env));
      servers.push(server);
      return server;
    },
    push: (server, delivery) => postWebhook(server.port, "push", pushPayload(repo, { fullName }), { delivery }),
    patches: ({ accepted = true } = {}) => patchesOf(accepted, false),
    creates: ({ accepted = true } = {}) => createsOf(accepted, false),
    aggregatePatches: ({ accepted = true } = {}) => patchesOf(accepted, true),
    aggregateCreates: ({ accepted = true } = {}) => createsOf(accepted, true),
    cellRuns: () => runsInRepo().filter((run) => !isAggregateRun(run.fields)),
    aggregateRuns: () => runsInRepo().filter((run) => isAggregateRun(run.fields)),
    starts: ({ accepted = true } = {}) => [
      ...createsOf(accepted, false).filter((c) => c.status === "in_progress"),
      ...patchesOf(accepted, false).filter((p) => p.status === "in_progress" && p.started_at !== undefined),
    ],
    async containersOf(jobId, { running = false } = {}) {
      const found = await listContainers([`label=${LABEL_JOB}=${jobId}`, ...(running ? ["status=running"] : [])]);
      return found.filter((c) => ours(c.owner)).map((c) => c.id);
    },
    async testsUnderWay(jobId) {
      for (const id of await scenario.containersOf(jobId, { running: true })) {
        const read = await docker(["exec", id, "cat", "/ponyci/out/events.jsonl"]).catch(() => undefined);
        const events = (read?.stdout ?? "").split("\n").filter(Boolean).map((line) => {
          try {
            return JSON.parse(line) as { event?: string };
          } catch {
            return {};
          }
        });
        if (events.some((e) => e.event === "test")) return true;
      }
      return false;
    },
    async waitFor(check, ms, what) {
      const until = Date.now() + ms;
      for (;;) {
        const value = await check();
        if (value !== undefined && value !== false) return value as NonNullable<typeof value>;
        if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${scenario.report()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    report() {
      const requests = github.requests
        .map((r) => {
          const output = (r.body as CheckRunPatch | undefined)?.output;
          const told = r.method === "PATCH" && output ? ` [${(r.body as CheckRunPatch).status ?? ""}${(r.body as CheckRunPatch).conclusion ? `/${(r.body as CheckRunPatch).conclusion}` : ""}] ${output.title ?? ""}: ${(output.summary ?? "").slice(0, 300)}` : "";
          return `  ${new Date(r.at).toISOString().slice(11, 23)} ${r.status} ${r.method} ${r.path}${told}${r.errors.length ? ` ${JSON.stringify(r.errors)}` : ""}`;
        })
        .join("\n");
      const outputs = servers.map((s, i) => `--- server ${i + 1} (pid ${s.pid}) ---\n${s.output().slice(-6000)}`).join("\n");
      return `GitHub requests:\n${requests}\n${outputs}`;
    },
    async dispose() {
      for (const server of servers) await killPonyCi(server);
      // Containers our (now dead) servers left: removed by owner label, whatever their job.
      const leftovers = await listContainers([`label=${LABEL_OWNER}`]).catch(() => []);
      const ids = leftovers.filter((c) => ours(c.owner)).map((c) => c.id);
      if (ids.length > 0) await docker(["rm", "-f", "-v", ...ids]).catch(() => undefined);
      await github.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(repo.dir, { recursive: true, force: true });
    },
  };
  return scenario;
}

/**
 * True once a cell's check run is in progress: created so (a cell that
 * starts at once) or PATCHed so (a queued run that started).
 */
export function cellInProgress(s: Pick<RecoveryScenario, "creates" | "patches">): boolean {
  return s.creates().some((c) => c.status === "in_progress") || s.patches().some((p) => p.status === "in_progress");
}

/** The completing PATCH (with a conclusion) of a check run's updates, if it arrived. */
export function completionOf(patches: CheckRunPatch[]): CheckRunPatch | undefined {
  return patches.find((p) => p.conclusion !== undefined);
}
