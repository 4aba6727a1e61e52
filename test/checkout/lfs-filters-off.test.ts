import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createCheckout } from "../../runner/src/checkout/create-checkout.js";
import { commitFiles, makeOrigin, makeTempDir } from "./git-fixture.js";

/**
 * A repository's .gitattributes chooses filters; the server's git config
 * says what they run (Git LFS installs one globally: `git lfs install`).
 * A checkout never runs the LFS smudge or process filter, and never hands
 * git the server's own secrets.
 */
describe("checkouts run no LFS filter", () => {
  let tmp: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir: tmp, cleanup } = await makeTempDir()));
  afterEach(() => cleanup());

  it("a file under filter=lfs is checked out as committed, and the configured smudge never runs", async () => {
    const home = join(tmp, "home");
    const marker = join(tmp, "smudge-ran");
    await mkdir(home);
    // What `git lfs install` would write, with a smudge that leaves a marker.
    await writeFile(join(home, ".gitconfig"), `[filter "lfs"]\n\tsmudge = sh -c 'touch ${marker}; cat'\n\tprocess = sh -c 'touch ${marker}; exit 1'\n\trequired = true\n`);
    const origin = await makeOrigin(join(tmp, "origin"));
    const pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    const sha = await commitFiles(origin, { ".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n", "data.bin": pointer });
    const checkout = createCheckout({ cacheDir: join(tmp, "cache"), env: { ...process.env, HOME: home, PRIVATE_KEY: "must-not-reach-git" } });
    const ws = await checkout.checkout({ url: pathToFileURL(origin).href, sha, workspaceDir: join(tmp, "ws") });
    expect(await readFile(join(ws.path, "data.bin"), "utf8")).toBe(pointer);
    expect(existsSync(marker)).toBe(false);
  });
});
