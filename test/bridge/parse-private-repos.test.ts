import { describe, expect, it } from "@jest/globals";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadPrivateRepos } from "../../src/bridge/load-private-repos.js";
import { parsePrivateRepos } from "../../src/bridge/parse-private-repos.js";
import { PrivateReposError } from "../../src/bridge/private-repos-error.js";

const SECRET = "0123456789abcdef0123";
const secrets: Record<string, string> = { "/etc/ponyci/project.secret": `${SECRET}\n`, "/etc/ponyci/short.secret": "abc\n" };
const parse = (text: string) =>
  parsePrivateRepos(text, {
    file: "repos.yml",
    readSecretFile: (file) => {
      const secret = secrets[file];
      if (secret === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: "ENOENT" });
      return secret;
    },
  });

function errorOf(text: string): { line: number; message: string } {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PrivateReposError);
    return { line: (error as PrivateReposError).line, message: (error as Error).message };
  }
  throw new Error("no error");
}

describe("parsePrivateRepos", () => {
  it("reads the seed's project with defaults filled in", () => {
    const repos = parse(
      [
        "repositories:",
        "  - name: django-sample-project",
        "    url: /home/git/django-sample-project.git",
        "    secret_file: /etc/ponyci/project.secret",
        "    after: danirus/django-sample-app",
        "  - name: other",
        "    url: ssh://git@git.internal/srv/other.git",
        '    branches: [main, "release/*"]',
        `    secret: ${SECRET}`,
        "    visibility: public",
      ].join("\n"),
    );
    expect(repos).toEqual([
      { name: "django-sample-project", url: "/home/git/django-sample-project.git", branches: undefined, secret: SECRET, visibility: "private", after: ["danirus/django-sample-app"], line: 2 },
      { name: "other", url: "ssh://git@git.internal/srv/other.git", branches: ["main", "release/*"], secret: SECRET, visibility: "public", after: [], line: 6 },
    ]);
  });

  it("accepts an empty file and an empty list", () => {
    expect(parse("")).toEqual([]);
    expect(parse("repositories:\n")).toEqual([]);
  });

  const entry = (extra: string[]) => ["repositories:", "  - name: project", "    url: /srv/project.git", ...extra].join("\n");

  it.each([
    ["a YAML syntax error", "repositories:\n  - name: [unclosed\n", 2, /not valid YAML/],
    ["an unknown top-level key", "repos:\n  - name: x\n", 1, /unknown key `repos`: the file holds one key, `repositories:`/],
    ["a mapping instead of a list", "repositories:\n  name: x\n", 2, /`repositories:` must be a list/],
    ["a missing name", "repositories:\n  - url: /srv/x.git\n    secret: " + SECRET + "\n", 2, /`name:` is missing/],
    ["a name with a space", entry([`    secret: ${SECRET}`]).replace("name: project", "name: my project"), 2, /name "my project" may hold only letters, digits/],
    // The schema's pattern holds for strings only: a name YAML reads as a number is checked by the reader.
    ["a name YAML reads as a number", entry([`    secret: ${SECRET}`]).replace("name: project", "name: -1"), 2, /name "-1" may hold only letters, digits/],
    ["a missing url", "repositories:\n  - name: project\n    secret: " + SECRET + "\n", 2, /`url:` is missing: each repository must be a mapping with `name:`, `url:` and `secret:` or `secret_file:`/],
    ["a relative path url", "repositories:\n  - name: project\n    url: srv/project.git\n    secret: " + SECRET + "\n", 3, /relative paths are not accepted/],
    ["a known mistake of key", entry([`    secret: ${SECRET}`, "    branch: main"]), 5, /unknown key `branch`: use `branches:` \(a list\)/],
    ["no secret", entry([]), 2, /"project" has no secret: add `secret_file: \/etc\/ponyci\/project.secret`/],
    ["both secrets", entry([`    secret: ${SECRET}`, "    secret_file: /etc/ponyci/project.secret"]), 5, /give either `secret:` or `secret_file:`, not both/],
    ["a missing secret file", entry(["    secret_file: /etc/ponyci/missing.secret"]), 4, /secret_file \/etc\/ponyci\/missing.secret cannot be read \(ENOENT\): create it with `openssl rand -hex 32 >/],
    ["a short secret", entry(["    secret_file: /etc/ponyci/short.secret"]), 4, /too short \(3 characters\): use at least 16/],
    ["a bad visibility", entry([`    secret: ${SECRET}`, "    visibility: secret"]), 5, /visibility "secret" is neither private nor public/],
    ["an empty branches list", entry([`    secret: ${SECRET}`, "    branches: []"]), 5, /`branches:` lists branch names or patterns, e.g. `branches: \[main, "release\/\*"\]` \(remove the key for every branch\)/],
    ["a full ref in branches", entry([`    secret: ${SECRET}`, "    branches: [refs/heads/main]"]), 5, /write branch names without "refs\/heads\/": "main"/],
    ["a bad after", entry([`    secret: ${SECRET}`, "    after: [django-sample-app]"]), 5, /"django-sample-app" is not a GitHub repository: write owner\/repo/],
    ["a pattern first with after", entry([`    secret: ${SECRET}`, '    branches: ["release/*", main]', "    after: [owner/app]"]), 5, /the first of `branches:` is the branch downstream builds use: make it a branch name/],
    ["a duplicate name", entry([`    secret: ${SECRET}`, "  - name: project", "    url: /srv/other.git", `    secret: ${SECRET}`]), 5, /the name "project" is used twice \(also on line 2\)/],
  ])("rejects %s at the right line, saying how to fix it", (_what, text, line, message) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(new RegExp(`^repos\\.yml line ${line}: `));
    expect(error.message).toMatch(message);
  });
});

describe("loadPrivateRepos", () => {
  it("reads secret files relative to the config file, trimmed", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ponyci-private-repos-"));
    writeFileSync(path.join(dir, "project.secret"), `  ${SECRET}\n`);
    const file = path.join(dir, "repos.yml");
    writeFileSync(file, "repositories:\n  - name: project\n    url: file:///srv/project.git\n    secret_file: project.secret\n");
    expect(loadPrivateRepos(file)).toMatchObject([{ name: "project", url: "file:///srv/project.git", secret: SECRET }]);
  });

  it("names a missing file and how to fix it", () => {
    expect(() => loadPrivateRepos("/nonexistent/repos.yml")).toThrow(
      "the private repositories file /nonexistent/repos.yml cannot be read (ENOENT): create it (see docs/bridge.md) or unset PONYCI_PRIVATE_REPOS",
    );
  });
});
