import { describe, expect, it } from "@jest/globals";
import { buildGitEnv } from "../../runner/src/checkout/build-git-env.js";
import { encodeBasicAuth } from "../../runner/src/checkout/scrub-secrets.js";

describe("buildGitEnv", () => {
  it("sends the token only as an http.<origin>.extraHeader through GIT_CONFIG_COUNT", () => {
    const env = buildGitEnv({ base: { PATH: "/bin" }, httpsOrigin: "https://github.com", token: "ghs_token123" });
    expect(env).toMatchObject({
      PATH: "/bin",
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_COUNT: "4",
      GIT_CONFIG_KEY_3: "http.https://github.com/.extraHeader",
      GIT_CONFIG_VALUE_3: `Authorization: Basic ${encodeBasicAuth("ghs_token123")}`,
    });
    const mentions = Object.entries(env).filter(([, value]) => value.includes("ghs_token123"));
    expect(mentions).toEqual([]); // only its base64 form, and only in GIT_CONFIG_VALUE_3
  });

  it.each([
    ["no token", { httpsOrigin: "https://github.com" }],
    ["an empty token", { httpsOrigin: "https://github.com", token: "" }],
    ["a non-http url (ssh, file, path)", { token: "ghs_token123" }],
  ])("adds no header for %s", (_what, extra) => {
    const env = buildGitEnv({ base: {}, ...extra });
    expect(env.GIT_CONFIG_COUNT).toBe("3");
    expect(Object.values(env).some((value) => value.includes("extraHeader") || value.startsWith("Authorization"))).toBe(false);
  });

  it("drops variables that would point git elsewhere or wait for a person", () => {
    const env = buildGitEnv({
      base: { GIT_DIR: "/srv/hook.git", GIT_QUARANTINE_PATH: "/q", GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "core.pager", GIT_CONFIG_VALUE_0: "x", GIT_ASKPASS: "/bin/ask", EDITOR: "vi", HOME: "/root", HTTPS_PROXY: "http://proxy:3128" },
    });
    expect(env).toEqual({
      HOME: "/root", HTTPS_PROXY: "http://proxy:3128", GIT_TERMINAL_PROMPT: "0", GCM_INTERACTIVE: "never", LC_ALL: "C", GIT_SSH_COMMAND: "ssh -o BatchMode=yes",
      GIT_LFS_SKIP_SMUDGE: "1",
      GIT_CONFIG_COUNT: "3",
      GIT_CONFIG_KEY_0: "filter.lfs.smudge", GIT_CONFIG_VALUE_0: "",
      GIT_CONFIG_KEY_1: "filter.lfs.process", GIT_CONFIG_VALUE_1: "",
      GIT_CONFIG_KEY_2: "filter.lfs.required", GIT_CONFIG_VALUE_2: "false",
    });
  });

  it("passes none of the server's own secrets or settings to git", () => {
    const env = buildGitEnv({ base: { PATH: "/bin", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----", WEBHOOK_SECRET: "s3cret", APP_ID: "1", PONYCI_DATA_DIR: "/srv", PIP_INDEX_URL: "https://evil", GIT_TRACE: "1", LD_PRELOAD: "/evil.so" } });
    expect(Object.keys(env).filter((key) => !/^(GIT_(TERMINAL_PROMPT|SSH_COMMAND|LFS_SKIP_SMUDGE|CONFIG_(COUNT|KEY_\d|VALUE_\d))|GCM_INTERACTIVE|LC_ALL)$/.test(key))).toEqual(["PATH"]);
  });

  it("keeps the operator's own ssh command", () => {
    expect(buildGitEnv({ base: { GIT_SSH_COMMAND: "ssh -i /keys/deploy" } }).GIT_SSH_COMMAND).toBe("ssh -i /keys/deploy");
  });
});
