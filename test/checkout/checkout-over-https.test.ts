import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import { encodeBasicAuth } from "../../runner/src/checkout/scrub-secrets.js";
import { commitFiles, git, makeOrigin, makeTempDir } from "./git-fixture.js";
import { serveGitHttps, type GitHttpsServer } from "./serve-git-https.js";
import { caughtCheckoutError } from "./caught-checkout-error.js";

const TOKEN = "ghs_TestInstallationToken0123456789abcdef";

/**
 * The environment git gets: trusts the self-signed loopback server through a CA
 * file (GIT_SSL_CAINFO: checkouts take CA settings from the environment, not
 * GIT_SSL_NO_VERIFY), no proxies.
 */
function gitBaseEnv(certDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_SSL_CAINFO: join(certDir, "cert.pem") };
  for (const key of Object.keys(env)) if (/_proxy$/i.test(key)) delete env[key];
  return env;
}

const caught = caughtCheckoutError;

/** Polls `condition` every 20 ms, giving up (by returning) after 10 s: the assertion after it then fails. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; waited < 10_000 && !condition(); waited += 20) await new Promise((ok) => setTimeout(ok, 20));
}

/** Every file under `dir` whose bytes contain `needle` (grep -r). */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const { stdout, exitCode } = await execa("grep", ["-rlF", "--", needle, dir], { reject: false });
  if (exitCode === 2) throw new Error(`grep failed in ${dir}`);
  return stdout.split("\n").filter((line) => line.length > 0);
}

describe("checkout over https with an installation token", () => {
  let tmp: string;
  let cleanup: () => Promise<void>;
  let server: GitHttpsServer;
  let sha: string;
  let url: string;

  beforeEach(async () => {
    ({ dir: tmp, cleanup } = await makeTempDir());
    const root = join(tmp, "served");
    const origin = await makeOrigin(join(tmp, "origin"));
    sha = await commitFiles(origin, { "tox.ini": "[tox]\n" }, "first");
    await mkdir(root);
    await git(tmp, "clone", "--quiet", "--bare", origin, join(root, "polls.git"));
    await mkdir(join(tmp, "certs"));
    server = await serveGitHttps({ projectRoot: root, certDir: join(tmp, "certs"), password: TOKEN });
    url = `${server.origin}/polls.git`;
  });
  afterEach(async () => {
    await server.close();
    await cleanup();
  });

  it("sends the token as basic auth and writes it nowhere on disk", async () => {
    const cacheDir = join(tmp, "cache");
    const checkout = createCheckout({ cacheDir, env: gitBaseEnv(join(tmp, "certs")) });
    const ws = await checkout.checkout({ url, token: TOKEN, sha, workspaceDir: join(tmp, "ws") });
    expect(await git(ws.path, "rev-parse", "HEAD")).toBe(sha);
    expect(server.authorizations).toContain(`Basic ${encodeBasicAuth(TOKEN)}`);
    expect(await checkout.resolveRef({ url, token: TOKEN }, "main")).toBe(sha);
    expect((await checkout.readFiles({ url, token: TOKEN, sha }, ["tox.ini"])).get("tox.ini")).toBe("[tox]\n");
    for (const needle of [TOKEN, encodeBasicAuth(TOKEN)]) {
      expect(await filesContaining(cacheDir, needle)).toEqual([]);
      expect(await filesContaining(ws.path, needle)).toEqual([]);
    }
  });

  it("fails fast on a wrong token, with neither token nor url password in the error", async () => {
    const checkout = createCheckout({ cacheDir: join(tmp, "cache"), env: gitBaseEnv(join(tmp, "certs")) });
    const wrong = "ghs_WrongToken9876543210fedcba";
    const withPassword = url.replace("https://", "https://someone:hunter2secret@");
    const error = await caught(checkout.checkout({ url: withPassword, token: wrong, sha, workspaceDir: join(tmp, "ws") }));
    expect(error.code).toBe("git-failed");
    const everything = `${error.message}\n${String((error.cause as Error).message)}\n${error.stack ?? ""}`;
    expect(everything).toContain("127.0.0.1");
    for (const secret of [wrong, encodeBasicAuth(wrong), "hunter2secret"]) expect(everything).not.toContain(secret);
    expect(server.authorizations).toContain(`Basic ${encodeBasicAuth(wrong)}`);
  });

  it("kills git when the signal fires during a hanging fetch", async () => {
    const checkout = createCheckout({ cacheDir: join(tmp, "cache"), env: gitBaseEnv(join(tmp, "certs")) });
    const controller = new AbortController();
    const pending = checkout.checkout({ url: `${server.origin}/hang/polls.git`, token: TOKEN, sha, workspaceDir: join(tmp, "ws") }, { signal: controller.signal });
    await waitFor(() => server.authorizations.length > 0);
    controller.abort();
    const error = await caught(pending);
    expect(error.code).toBe("aborted");
    await waitFor(() => server.hungClosed() > 0); // git's helper is gone with its connection
    expect(server.hungClosed()).toBeGreaterThan(0);
  });
});
