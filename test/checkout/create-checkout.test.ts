import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { access, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import { getMirrorPath } from "../../runner/src/checkout/get-mirror-path.js";
import type { Logger } from "../../src/domain/logger.js";
import { commitFiles, git, makeOrigin, makeTempDir } from "./git-fixture.js";
import { caughtCheckoutError } from "./caught-checkout-error.js";

/** A logger keeping every message, to see which git work happened. */
function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = [];
  const keep = (obj: object | string, msg?: string) => messages.push(typeof obj === "string" ? obj : (msg ?? ""));
  return { messages, debug: keep, info: keep, warn: keep, error: keep };
}

const caught = caughtCheckoutError;

const exists = (path: string) => access(path).then(() => true, () => false);

describe("createCheckout with real git", () => {
  let tmp: string;
  let cleanup: () => Promise<void>;
  let origin: string;
  let url: string;
  let cacheDir: string;
  let first: string;

  beforeEach(async () => {
    ({ dir: tmp, cleanup } = await makeTempDir());
    origin = await makeOrigin(join(tmp, "origin"));
    url = pathToFileURL(origin).href;
    cacheDir = join(tmp, "cache");
    first = await commitFiles(origin, { "tox.ini": "[tox]\nenvlist = py311\n", ".github/ponyci.yml": "python: ['3.11']\n", "app/models.py": "x = 1\n" }, "first");
  });
  afterEach(() => cleanup());

  it("clones a mirror the first time and makes a workspace at exactly the commit", async () => {
    const log = recordingLogger();
    const checkout = createCheckout({ cacheDir, log });
    await commitFiles(origin, { "app/models.py": "x = 2\n" }, "second"); // main moves past `first`
    const ws = await checkout.checkout({ url, sha: first, workspaceDir: join(tmp, "ws1") });
    expect(ws.sha).toBe(first);
    expect(await git(ws.path, "rev-parse", "HEAD")).toBe(first);
    expect(await readFile(join(ws.path, "app/models.py"), "utf8")).toBe("x = 1\n");
    expect(await git(ws.path, "status", "--porcelain")).toBe("");
    expect(await exists(join(getMirrorPath(cacheDir, url), "HEAD"))).toBe(true);
    expect(ws.sharedObjectDirs).toEqual([join(getMirrorPath(cacheDir, url), "objects")]);
    expect(log.messages).toContain("cloning mirror");
    expect(log.messages).not.toContain("fetching into mirror");
  });

  it("fetches only into the existing mirror for a new commit", async () => {
    const log = recordingLogger();
    const checkout = createCheckout({ cacheDir, log });
    await checkout.checkout({ url, sha: first, workspaceDir: join(tmp, "ws1") });
    const mirror = getMirrorPath(cacheDir, url);
    await git(mirror, "update-ref", "refs/test/marker", first); // would vanish if the mirror were cloned again
    const second = await commitFiles(origin, { "app/models.py": "x = 2\n" }, "second");
    const ws = await checkout.checkout({ url, sha: second, workspaceDir: join(tmp, "ws2") });
    expect(await git(ws.path, "rev-parse", "HEAD")).toBe(second);
    expect(await readFile(join(ws.path, "app/models.py"), "utf8")).toBe("x = 2\n");
    expect(await git(mirror, "rev-parse", "refs/test/marker")).toBe(first);
    expect(await git(mirror, "rev-parse", "refs/heads/main")).toBe(second);
    expect(log.messages.filter((m) => m === "cloning mirror")).toHaveLength(1);
    expect(log.messages.filter((m) => m === "fetching into mirror")).toHaveLength(1);
  });

  it("does not fetch when the mirror already has the commit (works with the origin gone)", async () => {
    const log = recordingLogger();
    const checkout = createCheckout({ cacheDir, log });
    await checkout.checkout({ url, sha: first, workspaceDir: join(tmp, "ws1") });
    await rm(origin, { recursive: true, force: true });
    const again = createCheckout({ cacheDir, log }); // a fresh process would see only the cache
    const ws = await again.checkout({ url, sha: first, workspaceDir: join(tmp, "ws2") });
    expect(await git(ws.path, "rev-parse", "HEAD")).toBe(first);
    expect(log.messages.filter((m) => m === "cloning mirror")).toHaveLength(1);
    expect(log.messages).not.toContain("fetching into mirror");
    expect(log.messages).toContain("commit already in mirror: no fetch");
  });

  it("gives writable workspaces independent of each other and of the mirror", async () => {
    const checkout = createCheckout({ cacheDir });
    const a = await checkout.checkout({ url, sha: first, workspaceDir: join(tmp, "a") });
    const b = await checkout.checkout({ url, sha: first, workspaceDir: join(tmp, "b") });
    await writeFile(join(a.path, "app/models.py"), "changed by a test\n");
    await writeFile(join(a.path, "new-file.txt"), "coverage data\n");
    await git(a.path, "commit", "--quiet", "-am", "a test commits inside its workspace");
    expect(await readFile(join(b.path, "app/models.py"), "utf8")).toBe("x = 1\n");
    expect(await exists(join(b.path, "new-file.txt"))).toBe(false);
    expect(await git(b.path, "rev-parse", "HEAD")).toBe(first);
    const c = await checkout.checkout({ url, sha: first, workspaceDir: join(tmp, "c") });
    expect(await readFile(join(c.path, "app/models.py"), "utf8")).toBe("x = 1\n");
    await a.remove();
    await a.remove();
    expect(await exists(a.path)).toBe(false);
    expect(await git(b.path, "fsck", "--no-progress")).toBe("");
  });

  it("refuses a workspace directory that holds files", async () => {
    const checkout = createCheckout({ cacheDir });
    const dir = join(tmp, "busy");
    await makeOrigin(dir); // any content
    const error = await caught(checkout.checkout({ url, sha: first, workspaceDir: dir }));
    expect(error.code).toBe("invalid-request");
    expect(error.message).toContain("is not empty");
  });

  it("brings in a pull-request commit that is on no branch through fetchRefs", async () => {
    await git(origin, "checkout", "--quiet", "--detach");
    const pr = await commitFiles(origin, { "app/models.py": "x = 'fork'\n" }, "fork PR");
    await git(origin, "update-ref", "refs/pull/1/head", pr);
    await git(origin, "checkout", "--quiet", "main");
    const checkout = createCheckout({ cacheDir });
    const missing = await caught(checkout.checkout({ url, sha: pr, workspaceDir: join(tmp, "ws0") }));
    expect(missing.code).toBe("commit-not-found");
    const ws = await checkout.checkout({ url, sha: pr, fetchRefs: ["refs/pull/1/head"], workspaceDir: join(tmp, "ws1") });
    expect(await git(ws.path, "rev-parse", "HEAD")).toBe(pr);
    expect(await readFile(join(ws.path, "app/models.py"), "utf8")).toBe("x = 'fork'\n");
  });

  it("says which commit is missing from where and what was fetched", async () => {
    const checkout = createCheckout({ cacheDir });
    const ghost = "0123456789abcdef0123456789abcdef01234567";
    const error = await caught(checkout.checkout({ url, sha: ghost, workspaceDir: join(tmp, "ws") }));
    expect(error.code).toBe("commit-not-found");
    expect(error.message).toContain(`commit ${ghost} not found in ${url} after fetching refs/heads/*, refs/tags/*`);
    expect(await exists(join(tmp, "ws"))).toBe(false);
    const bad = await caught(checkout.checkout({ url, sha: "abc123", workspaceDir: join(tmp, "ws") }));
    expect(bad.code).toBe("invalid-request");
    const lostRef = await caught(checkout.checkout({ url, sha: ghost, fetchRefs: ["refs/pull/9/head"], workspaceDir: join(tmp, "ws") }));
    expect(lostRef.code).toBe("ref-not-found");
    expect(lostRef.message).toContain("refs/pull/9/head");
  });

  it("reads files at a commit from the mirror, undefined for missing ones", async () => {
    const second = await commitFiles(origin, { "tox.ini": "[tox]\nenvlist = py313\n", "setup.cfg": "[metadata]\nname = polls\n" }, "second");
    const checkout = createCheckout({ cacheDir });
    const paths = ["tox.ini", ".github/ponyci.yml", "setup.cfg", "pyproject.toml", ".github"];
    const atFirst = await checkout.readFiles({ url, sha: first }, paths);
    expect([...atFirst.entries()]).toEqual([
      ["tox.ini", "[tox]\nenvlist = py311\n"],
      [".github/ponyci.yml", "python: ['3.11']\n"],
      ["setup.cfg", undefined],
      ["pyproject.toml", undefined],
      [".github", undefined],
    ]);
    const atSecond = await checkout.readFiles({ url, sha: second }, ["tox.ini", "setup.cfg", ".github/", "nothing/", "tox.ini/"]);
    expect(atSecond.get("tox.ini")).toBe("[tox]\nenvlist = py313\n");
    expect(atSecond.get("setup.cfg")).toBe("[metadata]\nname = polls\n");
    // A directory asked for as `dir/`: its files' names (not its subdirectories'), one per line.
    expect(atSecond.get(".github/")).toBe("ponyci.yml");
    expect(atSecond.get("nothing/")).toBeUndefined();
    expect(atSecond.get("tox.ini/")).toBeUndefined();
  });

  it("resolves branches and tags in the remote", async () => {
    const checkout = createCheckout({ cacheDir });
    expect(await checkout.resolveRef({ url }, "main")).toBe(first);
    await git(origin, "tag", "-a", "v1.0", "-m", "release");
    const second = await commitFiles(origin, {}, "second");
    expect(await checkout.resolveRef({ url }, "main")).toBe(second);
    expect(await checkout.resolveRef({ url }, "refs/heads/main")).toBe(second);
    expect(await checkout.resolveRef({ url }, "v1.0")).toBe(first);
    const error = await caught(checkout.resolveRef({ url }, "no-such-branch"));
    expect(error.code).toBe("ref-not-found");
    expect(error.message).toContain("no-such-branch");
  });

  it("serves concurrent checkouts of one repository, within and across instances", async () => {
    const log = recordingLogger();
    const one = createCheckout({ cacheDir, log });
    const two = createCheckout({ cacheDir, log }); // another process: only the lock file is shared
    const second = await commitFiles(origin, { "app/models.py": "x = 2\n" }, "second");
    const workspaces = await Promise.all([
      one.checkout({ url, sha: first, workspaceDir: join(tmp, "w0") }),
      two.checkout({ url, sha: second, workspaceDir: join(tmp, "w1") }),
      one.checkout({ url, sha: second, workspaceDir: join(tmp, "w2") }),
      two.checkout({ url, sha: first, workspaceDir: join(tmp, "w3") }),
    ]);
    const heads = await Promise.all(workspaces.map((ws) => git(ws.path, "rev-parse", "HEAD")));
    expect(heads).toEqual([first, second, second, first]);
    expect(log.messages.filter((m) => m === "cloning mirror")).toHaveLength(1);
    expect(log.messages).not.toContain("fetching into mirror");
    expect(await exists(`${getMirrorPath(cacheDir, url)}.lock`)).toBe(false);
  });

  it("works with a plain local path as the url", async () => {
    const checkout = createCheckout({ cacheDir });
    const ws = await checkout.checkout({ url: origin, sha: first, workspaceDir: join(tmp, "ws") });
    expect(await git(ws.path, "rev-parse", "HEAD")).toBe(first);
    expect(getMirrorPath(cacheDir, origin)).not.toBe(getMirrorPath(cacheDir, url));
  });

  it("stops before doing anything when the signal has already fired", async () => {
    const checkout = createCheckout({ cacheDir });
    const error = await caught(checkout.checkout({ url, sha: first, workspaceDir: join(tmp, "ws") }, { signal: AbortSignal.abort() }));
    expect(error.code).toBe("aborted");
    expect(await exists(join(tmp, "ws"))).toBe(false);
  });
});
