import { mkdtempSync, writeFileSync } from "node:fs";
import { FIRST_PLANNING_READS } from "../../src/builds/plan-from-repo-files.js";
import { SETTINGS_FILES, SETTINGS_MODULE_SOURCES } from "../../src/builds/matrix/services-from-settings.js";
import { tmpdir } from "node:os";
import path from "node:path";
import nock from "nock";
import { loadSettings, type Settings } from "../../src/settings/load-settings.js";
import { pino } from "pino";
import { startServer, type RunningServer, type StartServerOptions } from "../../src/server/start-server.js";
import { nockGitHub, type GitHubApiFake } from "./github-api-fake.js";
import { APP_ID, WEBHOOK_SECRET, testPrivateKey } from "./signed-webhooks.js";
import { TEST_DATA_DIR, TEST_LIMITS, createTestRunner } from "./test-runner.js";
import { serializeDjangoSupport } from "../../src/builds/versions/django-support.js";
import { testDjangoSupport } from "./django-support-table.js";

export { APP_ID, INSTALLATION_ID, WEBHOOK_SECRET, postLocal, postWebhook, pushPayload, testPrivateKey } from "./signed-webhooks.js";

/** GitHub faked, every other host (127.0.0.1, Docker's socket) real. */
export function fakeGitHub(): GitHubApiFake {
  // A previous test file in this worker may have restored http (test/support/restore-nock.ts).
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
  nock.enableNetConnect((host) => !host.includes("github.com"));
  return nockGitHub();
}

/** The key test servers and their runners sign what they exchange over Redis with. */
export const TEST_REDIS_SIGNING_KEY = "test-redis-signing-key-0123456789abcdef";

/** Settings of a test server: port 0, its own data dir (mirrors and environments shared). */
export function testServerSettings(overrides: Record<string, string> = {}): Settings & { github: NonNullable<Settings["github"]> } {
  const dataDir = mkdtempSync(path.join(tmpdir(), "ponyci-server-"));
  // A fixed Django support table: server tests plan the same whatever the index says today, without reading it.
  const djangoSupport = path.join(dataDir, "django-support-test.json");
  writeFileSync(djangoSupport, serializeDjangoSupport(testDjangoSupport));
  const settings = loadSettings(
    {
      PONYCI_DJANGO_SUPPORT: djangoSupport,
      APP_ID: String(APP_ID),
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET,
      HOST: "127.0.0.1",
      PORT: "0",
      PONYCI_DATA_DIR: dataDir,
      PONYCI_CONCURRENCY: "2",
      PONYCI_PUBLIC_URL: "http://ci.example.test",
      LOG_LEVEL: "silent",
      // The Pythons of the images setup builds: the default matrix does not change as other tests add images.
      PONYCI_RUNNER_PYTHONS: "3.9,3.11,3.13",
      // With Redis the server and its runners share a signing key (issue 23).
      ...(overrides.PONYCI_REDIS_URL ? { PONYCI_REDIS_SIGNING_KEY: TEST_REDIS_SIGNING_KEY } : {}),
      ...overrides,
    },
    "serve",
  );
  return { ...settings, cell: { ...TEST_LIMITS, timeoutSec: settings.cell.timeoutSec }, github: settings.github as NonNullable<Settings["github"]> };
}

export async function startTestServer(options: Partial<StartServerOptions> & { settings?: StartServerOptions["settings"] } = {}): Promise<RunningServer> {
  const settings = options.settings ?? testServerSettings();
  return startServer({
    log: pino({ level: "silent" }),
    runner: createTestRunner(),
    outboxBackoff: () => 50,
    ...options,
    settings,
  });
}



/**
 * Answers the contents API: the given files, 404 for every other path, for
 * `plannings` plannings of a build. Each planning reads
 * FIRST_PLANNING_READS (the config, tox and package metadata, every
 * requirement file detection looks for) in one round, then the test settings
 * files when nothing names a database (services-from-settings.ts), and
 * nothing more unless a file served here includes another.
 */
export function serveContents(github: GitHubApiFake, owner: string, repo: string, files: Record<string, string>, plannings = 4): void {
  const times = plannings * (FIRST_PLANNING_READS.length + SETTINGS_FILES.length + SETTINGS_MODULE_SOURCES.length);
  github.intercept("GET", "/repos/{owner}/{repo}/contents/{path}", { owner, repo }, (request) => {
    const file = decodeURIComponent(request.path.split("/contents/")[1]?.split("?")[0] ?? "");
    return file in files ? { status: 200, body: files[file], headers: { "content-type": "text/plain" } } : { status: 404, body: { message: "Not Found" } };
  }, { times });
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined, ms = 120_000, what = "condition"): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export { TEST_DATA_DIR };
