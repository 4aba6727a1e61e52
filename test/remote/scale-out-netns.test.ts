/**
 * Issue 14, end to end: `ponyci serve` (PONYCI_LOCAL_RUNNER=0, fake GitHub,
 * bodies validated against GitHub's schema) and two `ponyci runner`
 * processes, each in its own network namespace reaching Redis over its own
 * veth pair (10.250.x.x, only between namespaces this test creates and
 * deletes). Real Docker cells (django-slow, about 8 s each); their
 * environments are built first, here (the namespaces reach nothing but Redis).
 *
 * One build of six cells: it spreads over both runners; one runner is
 * killed (kill -9) mid-cell and its cell completes on the other, with one
 * conclusion and "Retried after runner … was lost." in the summary; Redis
 * restarts mid-build and the build still completes; the killed runner,
 * started again on the same host, first removes the containers it left.
 * A second and third commit: a runner's veth goes down mid-cell and the
 * cell completes on the other runner; the third commit supersedes the
 * second, and the cancel reaches the cells running on the remote runner.
 */
import { createJobSpec } from "../../src/domain/job-spec.js";
import { afterAll, beforeAll, expect, it } from "@jest/globals";
import { spawn, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { execa } from "execa";
import { Redis } from "ioredis";
import { remoteNames } from "../../src/domain/remote-protocol.js";
import { createLocalRunner } from "../../runner/src/create-local-runner.js";
import { LABEL_OWNER } from "../../runner/src/docker/labels.js";
import { loadSettings } from "../../src/settings/load-settings.js";
import { CHECK_RUN, CHECK_RUNS } from "../support/fake-github-server.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { PONYCI_CLI, type PonyCiProcess } from "../recovery/support/ponyci-process.js";
import { postWebhook, pushPayload } from "../support/signed-webhooks.js";
import { createRecoveryScenario, OWNER, type RecoveryScenario } from "../recovery/support/recovery-scenario.js";

const tag = (process.pid % 10_000).toString(36);
const spaces = ["a", "b"].map((side, i) => ({
  side,
  netns: `ponyci-sx-${side}-${tag}`,
  hostIf: `psx${side}${tag}`.slice(0, 15),
  peerIf: `psx${side}${tag}p`.slice(0, 15),
  hostIp: `10.250.${i + 1}.1`,
  peerIp: `10.250.${i + 1}.2`,
}));

interface RunnerProcess {
  id: string;
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

let redis: RedisServer;
let scenario: RecoveryScenario;
/** Kept from the first test for the second. */
let shared: { server: PonyCiProcess; a: RunnerProcess; b: RunnerProcess } | undefined;
const runners: RunnerProcess[] = [];

async function ip(...args: string[]): Promise<void> {
  await execa("ip", args);
}

/**
 * Namespaces an earlier run of this test left when it was killed (its afterAll never ran) keep
 * their veths and these same addresses, so the runners' Redis traffic would go to a dead end:
 * remove this test's own leftovers, the `ponyci-sx-` namespaces no process runs in.
 */
async function removeLeftoverSpaces(): Promise<void> {
  const { stdout } = await execa("ip", ["netns", "list"]);
  for (const name of stdout.split("\n").map((line) => line.split(" ")[0] ?? "").filter((name) => name.startsWith("ponyci-sx-"))) {
    const { stdout: pids } = await execa("ip", ["netns", "pids", name]);
    if (pids.trim() === "") await ip("netns", "delete", name).catch(() => undefined);
  }
}

beforeAll(async () => {
  await removeLeftoverSpaces();
  for (const s of spaces) {
    await ip("netns", "add", s.netns);
    await ip("link", "add", s.hostIf, "type", "veth", "peer", "name", s.peerIf);
    await ip("link", "set", s.peerIf, "netns", s.netns);
    await ip("addr", "add", `${s.hostIp}/30`, "dev", s.hostIf);
    await ip("link", "set", s.hostIf, "up");
    await ip("netns", "exec", s.netns, "ip", "addr", "add", `${s.peerIp}/30`, "dev", s.peerIf);
    await ip("netns", "exec", s.netns, "ip", "link", "set", s.peerIf, "up");
    await ip("netns", "exec", s.netns, "ip", "link", "set", "lo", "up");
  }
  redis = await startRedisServer({ bind: ["127.0.0.1", ...spaces.map((s) => s.hostIp)] });
  scenario = await createRecoveryScenario({ name: "scale-out", fixture: "django-slow" });
  // Six cells (Django 4.2 and 5.0 do not support Python 3.13).
  scenario.github.setFiles(OWNER, "scale-out", { ".github/ponyci.yml": `python: ["3.11", "3.13"]\ndjango: ["4.2", "5.0", "5.1", "5.2"]\n` });
  // The runners' namespaces reach nothing but Redis: build the cell's environment (PyPI) here first, in their shared data dir.
  const settings = loadSettings({ PONYCI_DATA_DIR: scenario.dataDir + "-runners" }, "run");
  const warm = createLocalRunner(settings);
  const cells = [...["4.2", "5.0", "5.1", "5.2"].map((django) => ({ python: "3.11", django })), { python: "3.13", django: "5.1" }, { python: "3.13", django: "5.2" }];
  const warmCell = async (cell: { python: string; django: string }): Promise<string | undefined> => {
    let conclusion: string | undefined;
    for await (const event of warm.cells.runCell({ jobId: `warm-${tag}-${cell.python}-${cell.django}`, source: { url: scenario.repo.dir, sha: scenario.repo.sha }, ...createJobSpec(cell) })) {
      if (event.type === "finished") conclusion = event.type === "finished" ? `${event.conclusion} ${event.error?.message ?? ""}` : undefined;
    }
    return conclusion;
  };
  const conclusions: (string | undefined)[] = [];
  for (let i = 0; i < cells.length; i += 2) conclusions.push(...(await Promise.all(cells.slice(i, i + 2).map(warmCell))));
  expect(conclusions.map((c) => c?.split(" ")[0])).toEqual(Array(6).fill("success"));
}, 600_000);

afterAll(async () => {
  for (const runner of runners) {
    runner.child.kill("SIGKILL");
    await runner.exited;
  }
  // Containers the killed runners left (by owner label: host:pid).
  const owners = new Set(runners.map((r) => `${hostname()}:${r.child.pid}`));
  const { stdout } = await execa("docker", ["ps", "-a", "--filter", `label=${LABEL_OWNER}`, "--format", `{{.ID}} {{.Label "${LABEL_OWNER}"}}`]).catch(() => ({ stdout: "" }));
  const ids = stdout.split("\n").filter(Boolean).map((line) => line.split(" ")).filter(([, owner]) => owners.has(owner ?? "")).map(([id]) => id as string);
  if (ids.length > 0) await execa("docker", ["rm", "-f", "-v", ...ids]).catch(() => undefined);
  await scenario?.dispose();
  await execa("rm", ["-rf", `${scenario?.dataDir}-runners`]).catch(() => undefined);
  await redis?.remove();
  for (const s of spaces) await ip("netns", "delete", s.netns).catch(() => undefined);
}, 120_000);

function startRunner(space: (typeof spaces)[number]): RunnerProcess {
  const id = `runner-${space.side}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/root",
    PONYCI_REDIS_URL: `redis://${space.hostIp}:${redis.port}`,
    PONYCI_REDIS_SIGNING_KEY: "scale-out-test-signing-key-0123456789",
    // GitHub is faked here: its clone url is the fixture's directory, which a runner checks out only when told to.
    PONYCI_RUNNER_REPO_URLS: scenario.repo.dir,
    PONYCI_RUNNER_ID: id,
    PONYCI_RUNNER_PYTHONS: "3.11,3.13",
    PONYCI_CONCURRENCY: "1",
    PONYCI_DATA_DIR: `${scenario.dataDir}-runners`,
    LOG_LEVEL: "info",
    LOG_FORMAT: "json",
  };
  const child = spawn("ip", ["netns", "exec", space.netns, process.execPath, PONYCI_CLI, "runner"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const runner = { id, child, output: () => output, exited };
  runners.push(runner);
  return runner;
}

/** Containers a runner process created (owner label host:pid). */
async function containersOwnedBy(runner: RunnerProcess, options: { running?: boolean } = {}): Promise<string[]> {
  const filters = ["--filter", `label=${LABEL_OWNER}=${hostname()}:${runner.child.pid}`, ...(options.running ? ["--filter", "status=running"] : [])];
  const { stdout } = await execa("docker", ["ps", "-aq", ...filters]);
  return stdout.split("\n").filter(Boolean);
}

/** Attempt ids a runner took, from its log. */
const taken = (runner: RunnerProcess): string[] => [...runner.output().matchAll(/"attemptId":"([^"]+)"[^\n]*"msg":"runner: took a cell"/g)].map((m) => m[1] as string);

it("spreads a 6-cell matrix over two runners in their own namespaces; kill -9 and a Redis restart mid-build; each check run concludes once", async () => {
  const server = await scenario.start({ PONYCI_REDIS_URL: redis.url, PONYCI_REDIS_SIGNING_KEY: "scale-out-test-signing-key-0123456789", PONYCI_LOCAL_RUNNER: "0" });
  const [a, b] = spaces.map(startRunner) as [RunnerProcess, RunnerProcess];
  await scenario.waitFor(() => /taking cells/.test(a.output()) && /taking cells/.test(b.output()), 30_000, "both runners up");
  expect((await scenario.push(server)).status).toBe(200);

  // Both runners busy: the matrix spreads.
  await scenario.waitFor(() => taken(a).length > 0 && taken(b).length > 0, 120_000, `a cell on each runner\n--- runner-a ---\n${a.output().slice(-3000)}\n--- runner-b ---\n${b.output().slice(-3000)}`);
  const doomed = taken(a)[0] as string;
  // Mid-cell: runner-a's test container runs (the tests take ≈ 8 s in all).
  await scenario.waitFor(async () => (await containersOwnedBy(a, { running: true })).length > 0, 60_000, "runner-a's test container");
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  a.child.kill("SIGKILL");
  await a.exited;
  expect((await containersOwnedBy(a)).length).toBeGreaterThan(0);
  // Redis restarts while the build runs; AOF keeps the queues, the stream and the locks.
  await redis.restart();

  const concluded = () => scenario.github.requests.filter((r) => r.method === "PATCH" && r.pathTemplate === CHECK_RUN && (r.body as { conclusion?: string }).conclusion !== undefined);
  // The aggregate "Pony CI" run (its summary is the cell table) apart from the cells' runs.
  const isAggregate = (r: { body: unknown }) => Boolean((r.body as { output?: { summary?: string } }).output?.summary?.includes("| Cell | Result | Tests |"));
  const completions = () => concluded().filter((r) => !isAggregate(r));
  await scenario.waitFor(() => new Set(completions().map((r) => r.params.check_run_id)).size === 6, 240_000, `six completed check runs\n--- runner-b ---\n${b.output().slice(-4000)}`);
  await new Promise((resolve) => setTimeout(resolve, 2_000)); // nothing more may arrive

  const done = completions();
  expect(scenario.github.requests.flatMap((r) => r.errors)).toEqual([]);
  // One conclusion per check run, all green.
  expect(done).toHaveLength(6);
  expect(done.map((r) => (r.body as { conclusion: string }).conclusion)).toEqual(Array(6).fill("success"));
  // And "Pony CI" concluded once, green, after the last cell.
  await scenario.waitFor(() => concluded().some(isAggregate), 30_000, "Pony CI's completion");
  expect(concluded().filter(isAggregate).map((r) => (r.body as { conclusion: string }).conclusion)).toEqual(["success"]);
  // The killed runner's cell ran again on the other and says so.
  const jobOfDoomed = doomed.split("#")[0] as string;
  expect(taken(b).some((attempt) => attempt.startsWith(`${jobOfDoomed}#`))).toBe(true);
  // (Summaries escape Markdown: "runner\-a was lost\.")
  const noted = done.filter((r) => ((r.body as { output?: { summary?: string } }).output?.summary ?? "").replaceAll("\\", "").includes("Retried after runner runner-a was lost."));
  expect(noted).toHaveLength(1);

  // runner-a again on the same host: it removes what its killed predecessor left first.
  const again = startRunner(spaces[0] as (typeof spaces)[number]);
  await scenario.waitFor(() => /taking cells/.test(again.output()), 30_000, "runner-a restarted");
  expect(await containersOwnedBy(a)).toEqual([]);
  shared = { server, a: again, b };
}, 600_000);

it("cut a runner's link (veth down): its cell completes on the other; a newer commit's cancel reaches the remote cells; one conclusion per check run", async () => {
  if (!shared) throw new Error("needs the first test's server and runners");
  const { server, a, b } = shared;
  const before = { a: taken(a).length, b: taken(b).length };
  const concluded = () => scenario.github.requests.filter((r) => r.method === "PATCH" && r.pathTemplate === CHECK_RUN && (r.body as { conclusion?: string }).conclusion !== undefined);
  // The aggregate "Pony CI" run (its summary is the cell table) apart from the cells' runs.
  const isAggregate = (r: { body: unknown }) => Boolean((r.body as { output?: { summary?: string } }).output?.summary?.includes("| Cell | Result | Tests |"));
  const completions = () => concluded().filter((r) => !isAggregate(r));
  const creates = () => scenario.github.requests.filter((r) => r.method === "POST" && r.pathTemplate === CHECK_RUNS && r.status === 201 && (r.body as { name?: string }).name !== "Pony CI");
  const second = await scenario.repo.commit("second");
  expect((await postWebhook(server.port, "push", pushPayload({ dir: scenario.repo.dir, sha: second }, { fullName: scenario.fullName, before: scenario.repo.sha }))).status).toBe(200);
  await scenario.waitFor(() => taken(a).length > before.a && taken(b).length > before.b, 120_000, "a cell of the second build on each runner");
  await scenario.waitFor(async () => (await containersOwnedBy(b, { running: true })).length > 0, 60_000, "runner-b's test container");

  // runner-b loses its network: its cell runs again on runner-a.
  const cutJob = (taken(b).at(-1) as string).split("#")[0] as string;
  const bSpace = spaces[1] as (typeof spaces)[number];
  await ip("link", "set", bSpace.hostIf, "down");
  await scenario.waitFor(() => taken(a).some((attempt) => attempt.startsWith(`${cutJob}#`)), 120_000, "the cut runner's cell on runner-a");
  await ip("link", "set", bSpace.hostIf, "up");

  // A newer commit on main supersedes the second build: the cells running on runner-a are cancelled there.
  const third = await scenario.repo.commit("third");
  expect((await postWebhook(server.port, "push", pushPayload({ dir: scenario.repo.dir, sha: third }, { fullName: scenario.fullName, before: second }))).status).toBe(200);
  await scenario.waitFor(() => /runner: cancel received/.test(a.output()), 60_000, "the cancel on runner-a");

  // Every check run of the three builds ends once.
  await scenario.waitFor(() => creates().length === 18 && new Set(completions().map((r) => r.params.check_run_id)).size === 18, 300_000, "eighteen completed check runs");
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const perRun = new Map<string, string[]>();
  for (const r of completions()) perRun.set(String(r.params.check_run_id), [...(perRun.get(String(r.params.check_run_id)) ?? []), (r.body as { conclusion: string }).conclusion]);
  expect([...perRun.values()].filter((conclusions) => conclusions.length !== 1)).toEqual([]);
  expect(scenario.github.requests.flatMap((r) => r.errors)).toEqual([]);
  const conclusions = [...perRun.values()].map(([c]) => c);
  expect(conclusions.filter((c) => c === "cancelled").length).toBeGreaterThan(0);
  expect(conclusions.filter((c) => c !== "cancelled" && c !== "success")).toEqual([]);
}, 600_000);

it("SIGTERM stops an idle runner cleanly: it drains, leaves the fleet and exits 0", async () => {
  if (!shared) throw new Error("needs the first test's server and runners");
  const { b } = shared;
  await scenario.waitFor(async () => (await containersOwnedBy(b, { running: true })).length === 0, 60_000, "runner-b idle");
  b.child.kill("SIGTERM");
  const exit = await Promise.race([b.exited.then(() => ({ code: b.child.exitCode, signal: b.child.signalCode })), new Promise((resolve) => setTimeout(() => resolve("still running after 20 s"), 20_000))]);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(b.output()).toMatch(/SIGTERM: draining/);
  expect(b.output()).toMatch(/runner: stopped/);
  expect(await containersOwnedBy(b)).toEqual([]);
  // It left the fleet: its heartbeat key is gone, so the server stops counting it at once.
  const client = new Redis(redis.url);
  try {
    expect(await client.exists(remoteNames().runnerKey(b.id))).toBe(0);
  } finally {
    await client.quit();
  }
}, 60_000);
