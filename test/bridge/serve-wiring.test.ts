import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fakeGitHub, postLocal, startTestServer, testServerSettings } from "../support/github-app-harness.js";
import { createFixtureRepo } from "../support/fixture-repo.js";
import { signBridgePayload } from "../../src/bridge/sign-bridge-payload.js";
import { BRIDGE_SIGNATURE_HEADER, BRIDGE_TIMESTAMP_HEADER } from "../../src/bridge/bridge-protocol.js";
import type { RunningServer } from "../../src/server/start-server.js";

/** `ponyci serve` mounts the bridge when PONYCI_PRIVATE_REPOS names repositories. */
describe("the bridge inside the GitHub App server", () => {
  let server: RunningServer;
  let sha: string;
  const secret = "bridge-wiring-secret";

  beforeAll(async () => {
    fakeGitHub();
    const repo = await createFixtureRepo("django-pass");
    sha = repo.sha;
    const dir = mkdtempSync(path.join(tmpdir(), "ponyci-wiring-"));
    const config = path.join(dir, "private-repos.yml");
    writeFileSync(config, `repositories:\n  - name: intranet\n    url: ${repo.dir}\n    secret: ${secret}\n`);
    server = await startTestServer({ settings: testServerSettings({ PONYCI_PRIVATE_REPOS: config }) });
  });
  afterAll(async () => {
    await server?.stop({ graceMs: 500 });
  });

  it("answers the post-receive endpoint: a signed push is recorded as a bridge build, a bad signature is refused", async () => {
    const body = `${"0".repeat(40)} ${sha} refs/heads/main\n`;
    const refused = await postLocal(server.port, "/bridge/intranet/post-receive", body, {
      [BRIDGE_TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)),
      [BRIDGE_SIGNATURE_HEADER]: "sha256=" + "0".repeat(64),
    });
    expect(refused.status).toBe(401);
    expect(server.ponyci.store.listBuilds({ repo: "intranet" })).toEqual([]);

    const timestamp = Math.floor(Date.now() / 1000);
    const accepted = await postLocal(server.port, "/bridge/intranet/post-receive", body, {
      [BRIDGE_TIMESTAMP_HEADER]: String(timestamp),
      [BRIDGE_SIGNATURE_HEADER]: signBridgePayload(secret, String(timestamp), body),
    });
    expect(accepted.status).toBe(202);
    const [build] = server.ponyci.store.listBuilds({ repo: "intranet" });
    expect(build).toMatchObject({ source: "bridge", visibility: "private", sha, branch: "main" });
  });
});
