import { describe, expect, it } from "@jest/globals";
import { parseRepoConfig } from "../../src/builds/config/parse-repo-config.js";
import { parsePrivateRepos } from "../../src/bridge/parse-private-repos.js";

describe("notify: in .github/ponyci.yml and the private repositories file", () => {
  it("reads recipients, events and hooks", () => {
    const config = parseRepoConfig(
      ["notify:", "  email: [Team@Example.com, lead@example.com]", "  on: [failure]", "  slack: [https://hooks.slack.com/services/T/B/x]", ""].join("\n"),
    );
    expect(config.notify).toEqual({ email: ["team@example.com", "lead@example.com"], on: ["failure"], webhook: [], slack: ["https://hooks.slack.com/services/T/B/x"], mattermost: [] });
    expect(parseRepoConfig("python: ['3.12']\n").notify).toBeUndefined();
    expect(parseRepoConfig("notify:\n  email: dev@example.com\n").notify).toMatchObject({ email: ["dev@example.com"], on: ["failure", "recovery"] });
  });

  it.each([
    ["notify: team@example.com\n", /line 1: `notify:` must be a mapping/],
    ["notify:\n  email: [\"Dev <dev@example.com>\"]\n", /line 2: "Dev <dev@example.com>" is not an email address: write the address alone/],
    ["notify:\n  email: [\"a@example.com\\r\\nBcc: x@evil.test\"]\n", /is not an email address/],
    ["notify:\n  on: [success]\n", /line 2: `on:` takes failure and recovery, not "success"/],
    ["notify:\n  webhook: [ftp://example.com/x]\n", /line 2: `webhook:` takes http\(s\) URLs, not ftp:/],
    ["notify:\n  slack: [\"https://u:p@hooks.slack.com/x\"]\n", /carry no user or password/],
    ["notify:\n  emails: [a@example.com]\n", /line 2: unknown key `emails` in `notify`: the keys are email, on, webhook, slack, mattermost/],
    [`notify:\n  email: [${Array.from({ length: 21 }, (_, i) => `u${i}@example.com`).join(", ")}]\n`, /`email:` lists at most 20 addresses/],
  ])("refuses %j with the line and the fix", (text, message) => {
    expect(() => parseRepoConfig(text)).toThrow(message);
  });

  it("is an operator's key of a private repository", () => {
    const [repo] = parsePrivateRepos(
      ["repositories:", "  - name: proj", "    url: /srv/git/proj.git", "    secret: 0123456789abcdef0123", "    notify:", "      email: [team@example.com]", "      webhook: [http://10.0.0.5/hook]", ""].join("\n"),
      { file: "repos.yml", readSecretFile: () => "" },
    );
    expect(repo?.notify).toEqual({ email: ["team@example.com"], on: ["failure", "recovery"], webhook: ["http://10.0.0.5/hook"], slack: [], mattermost: [] });
    expect(() =>
      parsePrivateRepos(["repositories:", "  - name: proj", "    url: /srv/git/proj.git", "    secret: 0123456789abcdef0123", "    notify:", "      email: [nope]", ""].join("\n"), { file: "repos.yml", readSecretFile: () => "" }),
    ).toThrow(/repos.yml line 6: "nope" is not an email address/);
  });
});
