import { describe, expect, it } from "@jest/globals";
import { parsePrivateRepos } from "../../src/bridge/parse-private-repos.js";
import { planForgeStatus } from "../../src/forge/plan-forge-status.js";

const entry = (forge: string) => ["repositories:", "  - name: proj", "    url: /srv/git/proj.git", "    secret: 0123456789abcdef0123", `    forge: ${forge}`, ""].join("\n");
const parse = (forge: string) => parsePrivateRepos(entry(forge), { file: "repos.yml", readSecretFile: (file) => (file === "t.secret" ? "tok\n" : "") });

describe("forge: of a private repository", () => {
  it("reads the forge, its API, its project and the token from a file", () => {
    expect(parse("{type: forgejo, api: https://git.example.com/api/v1/, project: team/proj, token_file: t.secret}")[0]?.forge).toEqual({ kind: "forgejo", api: "https://git.example.com/api/v1", project: "team/proj", token: "tok" });
    expect(parse("{type: gitlab, api: https://gl.example.com/api/v4, project: a/b/c}")[0]?.forge).toEqual({ kind: "gitlab", api: "https://gl.example.com/api/v4", project: "a/b/c" });
  });

  it.each([
    ["{type: bitbucket, api: https://x/api, project: a/b}", /repos.yml line 5: forge type "bitbucket" is not known: use gitea, forgejo, gitlab/],
    ["{type: gitea, api: ftp://x/api, project: a/b}", /`api:` must be an http\(s\) URL without credentials/],
    ["{type: gitea, api: https://u:p@x/api, project: a/b}", /without credentials/],
    ["{type: gitea, api: https://x/api, project: a/b/c}", /project "a\/b\/c" is not owner\/repo/],
    ["{type: gitea, api: https://x/api, project: a/b, token: t, token_file: t.secret}", /either `token:` or `token_file:`/],
    ["{type: gitea, api: https://x/api, project: a/b, token_file: empty.secret}", /token_file empty.secret is empty/],
    ["{type: gitea, api: https://x/api, project: a/b, user: me}", /unknown key `user` in `repositories.forge`: the keys are type, api, project, token, token_file/],
  ])("refuses %s", (forge, message) => {
    expect(() => parse(forge)).toThrow(message);
  });

  it("plans each forge's request in its own words", () => {
    const base = { repo: "proj", sha: "a".repeat(40), context: "ponyci/Python 3.11 · Django 5.2", description: "x".repeat(200), targetUrl: "https://ci/builds/1", branch: "main" };
    const gitea = planForgeStatus({ ...base, forge: { kind: "gitea", api: "https://g/api/v1", project: "team/my repo" }, state: "timed_out" });
    expect(gitea.url).toBe(`https://g/api/v1/repos/team/my%20repo/statuses/${"a".repeat(40)}`);
    expect(gitea.body).toEqual({ state: "failure", context: base.context, target_url: base.targetUrl, description: "x".repeat(140) });
    const gitlab = planForgeStatus({ ...base, forge: { kind: "gitlab", api: "https://l/api/v4", project: "group/sub/proj" }, state: "cancelled" });
    expect(gitlab.url).toBe(`https://l/api/v4/projects/group%2Fsub%2Fproj/statuses/${"a".repeat(40)}`);
    expect(gitlab.body).toMatchObject({ state: "canceled", name: base.context, ref: "main" });
    expect(planForgeStatus({ ...base, forge: { kind: "gitea", api: "https://g", project: "a/b" }, state: "neutral" }).body.state).toBe("warning");
    expect(planForgeStatus({ ...base, forge: { kind: "gitlab", api: "https://l", project: "7" }, state: "error" }).body.state).toBe("failed");
  });
});
