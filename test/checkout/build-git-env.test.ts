import { describe, expect, it } from "@jest/globals";
import { buildGitEnv } from "../../runner/src/checkout/build-git-env.js";
import { encodeBasicAuth } from "../../runner/src/checkout/scrub-secrets.js";

describe("buildGitEnv", () => {
  it("sends the token only as an http.<origin>.extraHeader through GIT_CONFIG_COUNT", () => {
    const env = buildGitEnv({ base: { PATH: "/bin" }, httpsOrigin: "https://github.com", token: "ghs_token123" });
    expect(env).toMatchObject({
      PATH: "/bin",
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.https://github.com/.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${encodeBasicAuth("ghs_token123")}`,
    });
    const mentions = Object.entries(env).filter(([, value]) => value.includes("ghs_token123"));
    expect(mentions).toEqual([]); // only its base64 form, and only in GIT_CONFIG_VALUE_0
  });

  it.each([
    ["no token", { httpsOrigin: "https://github.com" }],
    ["an empty token", { httpsOrigin: "https://github.com", token: "" }],
    ["a non-http url (ssh, file, path)", { token: "ghs_token123" }],
  ])("adds no header for %s", (_what, extra) => {
    const env = buildGitEnv({ base: {}, ...extra });
    expect(env.GIT_CONFIG_COUNT).toBeUndefined();
    expect(env.GIT_CONFIG_KEY_0).toBeUndefined();
  });

  it("drops variables that would point git elsewhere or wait for a person", () => {
    const env = buildGitEnv({
      base: { GIT_DIR: "/srv/hook.git", GIT_QUARANTINE_PATH: "/q", GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "core.pager", GIT_CONFIG_VALUE_0: "x", GIT_ASKPASS: "/bin/ask", EDITOR: "vi", HOME: "/root", HTTPS_PROXY: "http://proxy:3128" },
    });
    expect(env).toEqual({ HOME: "/root", HTTPS_PROXY: "http://proxy:3128", GIT_TERMINAL_PROMPT: "0", GCM_INTERACTIVE: "never", LC_ALL: "C", GIT_SSH_COMMAND: "ssh -o BatchMode=yes" });
  });

  it("keeps the operator's own ssh command", () => {
    expect(buildGitEnv({ base: { GIT_SSH_COMMAND: "ssh -i /keys/deploy" } }).GIT_SSH_COMMAND).toBe("ssh -i /keys/deploy");
  });
});
