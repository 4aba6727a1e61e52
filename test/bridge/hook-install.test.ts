import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { HOOK_CONFIG_NAME } from "../../src/bridge/install-hook.js";
import { hookCommand } from "../../src/cli/hook-command.js";
import { createFixtureRepo, type FixtureRepo } from "../support/fixture-repo.js";
import { startBridgeServer, type BridgeTestServer } from "./bridge-server.js";
import { createBareRepo, git, hookLine, installHookWithCli, writeSecretFile } from "./git-server.js";

const SECRET = "hook-install-test-secret-0123456789";

async function install(argv: string[]): Promise<{ code: number; printed: string; error?: string }> {
  let printed = "";
  try {
    const code = await hookCommand(["install", ...argv], { out: { write: (t) => void (printed += t) } });
    return { code, printed };
  } catch (error) {
    return { code: -1, printed, error: (error as Error).message };
  }
}

describe("ponyci hook install", () => {
  let dir: string;
  let secretFile: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-hook-install-"));
    secretFile = writeSecretFile(dir, "project", SECRET);
  });

  it("installs the executable hook and its config (without the secret) in a bare repository", async () => {
    const bare = await createBareRepo("project");
    const printed = await installHookWithCli(bare, { repo: "project", url: "https://ci.example.com/", secretFile });
    const hook = path.join(bare, "hooks", "post-receive");
    expect(printed).toContain(`Installed ${hook}\n  posts to https://ci.example.com/bridge/project/post-receive`);
    expect(statSync(hook).mode & 0o777).toBe(0o755);
    expect(readFileSync(hook, "utf8")).toBe(readFileSync(path.resolve("runner/hooks/post-receive"), "utf8"));
    const config = readFileSync(path.join(bare, "hooks", HOOK_CONFIG_NAME), "utf8");
    expect(JSON.parse(config)).toEqual({ endpoint: "https://ci.example.com/bridge/project/post-receive", repo: "project", secret_file: secretFile, timeout: 5 });
    expect(config).not.toContain(SECRET);
    expect(printed).not.toContain("warning");

    // Installing again updates Pony CI's own hook.
    expect((await install([bare, "--repo", "project", "--url", "http://127.0.0.1:9", "--secret-file", secretFile])).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(bare, "hooks", HOOK_CONFIG_NAME), "utf8")).endpoint).toBe("http://127.0.0.1:9/bridge/project/post-receive");
  });

  it("refuses a working copy, a missing directory, and missing options", async () => {
    const work = await createFixtureRepo("bridge-project");
    expect((await install([work.dir, "--repo", "project", "--url", "https://ci.example.com", "--secret-file", secretFile])).error).toBe(
      `${work.dir} is not a bare repository: install the hook in the server's bare repository (the one you push to, e.g. created with \`git clone --bare\`), not in a working copy`,
    );
    expect(existsSync(path.join(work.dir, ".git", "hooks", "post-receive"))).toBe(false);
    expect((await install([path.join(dir, "nope.git"), "--repo", "project", "--url", "https://ci.example.com", "--secret-file", secretFile])).error).toMatch(/nope\.git is not a directory: give the path of the bare repository/);
    expect((await install([path.join(dir)])).error).toMatch(/^missing --repo, --url, --secret-file/);
  });

  it("refuses a bad secret file, name or URL, and warns about a secret others can read", async () => {
    const bare = await createBareRepo("project");
    const empty = path.join(dir, "empty.secret");
    writeFileSync(empty, "\n");
    expect((await install([bare, "--repo", "project", "--url", "https://ci.example.com", "--secret-file", empty])).error).toMatch(/holds nothing: write one with `openssl rand -hex 32 >/);
    expect((await install([bare, "--repo", "project", "--url", "https://ci.example.com", "--secret-file", path.join(dir, "missing")])).error).toMatch(/cannot be read \(ENOENT\)/);
    expect((await install([bare, "--repo", "my project", "--url", "https://ci.example.com", "--secret-file", secretFile])).error).toMatch(/is not a repository name/);
    expect((await install([bare, "--repo", "project", "--url", "ci.example.com", "--secret-file", secretFile])).error).toMatch(/is not a URL: give the Pony CI server's base URL/);
    expect(existsSync(path.join(bare, "hooks", "post-receive"))).toBe(false);

    const open = path.join(dir, "open.secret");
    writeFileSync(open, SECRET);
    chmodSync(open, 0o644);
    const result = await install([bare, "--repo", "project", "--url", "https://ci.example.com", "--secret-file", open]);
    expect(result.code).toBe(0);
    expect(result.printed).toContain(`warning: ${open} is readable by other users: make it readable by the git user only`);
  });

  it("keeps someone else's post-receive hook unless --force, then keeps it aside", async () => {
    const bare = await createBareRepo("project");
    const hook = path.join(bare, "hooks", "post-receive");
    writeFileSync(hook, "#!/bin/sh\necho mail the team\n", { mode: 0o755 });
    expect((await install([bare, "--repo", "project", "--url", "https://ci.example.com", "--secret-file", secretFile])).error).toBe(
      `${hook} already exists and is not Pony CI's hook: move it away, or pass --force to replace it (it is kept as post-receive.before-ponyci)`,
    );
    expect(readFileSync(hook, "utf8")).toContain("mail the team");
    const forced = await install([bare, "--repo", "project", "--url", "https://ci.example.com", "--secret-file", secretFile, "--force"]);
    expect(forced.printed).toContain(`Moved the previous hook to ${hook}.before-ponyci`);
    expect(readFileSync(`${hook}.before-ponyci`, "utf8")).toContain("mail the team");
    expect(readFileSync(hook, "utf8")).toContain("Pony CI post-receive hook");
  });
});

describe("the installed hook during a push", () => {
  let server: BridgeTestServer;
  let silent: Server;
  let dir: string;
  let clone: FixtureRepo;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "ponyci-hook-push-"));
    clone = await createFixtureRepo("bridge-project");
    server = await startBridgeServer({ repos: [{ name: "project", url: path.join(dir, "unused.git"), secret: SECRET, visibility: "private", after: [] }], run: false });
    // A server that accepts connections and never answers.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    silent?.closeAllConnections();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
    await server?.close();
  });

  async function pushTo(options: { url: string; secret: string; timeout?: number }): Promise<{ exitCode: number; line: string | undefined; bare: string }> {
    const bare = await createBareRepo("project");
    await installHookWithCli(bare, { repo: "project", url: options.url, secretFile: writeSecretFile(mkdtempSync(path.join(dir, "s-")), "project", options.secret) });
    if (options.timeout !== undefined) {
      const configPath = path.join(bare, "hooks", HOOK_CONFIG_NAME);
      writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(configPath, "utf8")), timeout: options.timeout }));
    }
    const push = await git(clone.dir, ["push", bare, "main"]);
    return { exitCode: push.exitCode, line: hookLine(push.all), bare };
  }

  it("prints why not when the server refuses, and the push still succeeds", async () => {
    const result = await pushTo({ url: server.url, secret: "a-different-secret-of-enough-length" });
    expect(result.exitCode).toBe(0);
    expect(result.line).toBe("Pony CI: not queued: bad signature: the hook's secret file does not match this repository's secret on the server (HTTP 401)");
    expect((await git(result.bare, ["rev-parse", "main"])).stdout).toBe(clone.sha);
    expect(server.store.listBuilds()).toEqual([]);
  });

  it("prints 'server unreachable' when nothing listens, and the push still succeeds", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const port = typeof address === "object" && address ? address.port : 9;
    const result = await pushTo({ url: `http://127.0.0.1:${port}`, secret: SECRET });
    expect(result.exitCode).toBe(0);
    expect(result.line).toMatch(/^Pony CI: server unreachable \(.*[Cc]onnection refused.*\)$/);
  });

  it("gives up after its timeout when the server does not answer, and the push still succeeds", async () => {
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 9;
    const result = await pushTo({ url: `http://127.0.0.1:${port}`, secret: SECRET, timeout: 1 });
    expect(result.exitCode).toBe(0);
    expect(result.line).toBe("Pony CI: server unreachable (no answer within 1 s)");
  });

  it("prints nothing and exits 0 when git feeds it nothing", async () => {
    const { stdout, exitCode } = await execa(path.resolve("runner/hooks/post-receive"), [], { input: "", reject: false });
    expect({ stdout, exitCode }).toEqual({ stdout: "", exitCode: 0 });
  });
});
