import { describe, expect, it } from "@jest/globals";
import { Probot, ProbotOctokit } from "probot";
import { requestCloneToken } from "../../src/github/request-clone-token.js";
import { fakeGitHub } from "../support/github-app-harness.js";
import { APP_ID, INSTALLATION_ID, testPrivateKey } from "../support/signed-webhooks.js";

describe("requestCloneToken", () => {
  it("asks for a token of the one repository, with contents: read only", async () => {
    const github = fakeGitHub().installationToken(INSTALLATION_ID, { token: "ghs_one_repo", permissions: { contents: "read" } });
    const probot = new Probot({ appId: APP_ID, privateKey: testPrivateKey(), Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }) });
    const token = await requestCloneToken((id) => probot.auth(id), { repo: { name: "pony/app", cloneUrl: "https://github.com/pony/app.git", visibility: "private", installationId: INSTALLATION_ID } });
    expect(token).toBe("ghs_one_repo");
    const [request] = github.requests.filter((r) => r.path.endsWith("/access_tokens"));
    expect(request?.body).toEqual({ repositories: ["app"], permissions: { contents: "read" } });
    expect(github.violations()).toEqual([]);
  });

  it("asks for nothing when the clone needs no token", async () => {
    const ask = async () => {
      throw new Error("must not be called");
    };
    expect(await requestCloneToken(ask, { repo: { name: "pony/app", cloneUrl: "/srv/git/app.git", visibility: "private", installationId: INSTALLATION_ID } })).toBeUndefined();
    expect(await requestCloneToken(ask, { repo: { name: "pony/app", cloneUrl: "https://github.com/pony/app.git", visibility: "public" } })).toBeUndefined();
  });
});
