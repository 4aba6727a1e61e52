import { isMap, isSeq, type Node, type Scalar, type YAMLMap } from "yaml";
import { readYamlDocument, YamlDocumentError, type YamlDocument } from "../config/read-yaml-document.js";
import { createSchemaCheck, type SchemaProblem } from "../config/check-against-schema.js";
import { privateReposSchema } from "./private-repos-schema.js";
import { parseRepoUrl } from "../domain/parse-repo-url.js";
import type { Visibility } from "../store/build-rows.js";
import type { ForgeConfig, ForgeKind } from "../builds/config/forge-config.js";
import { readNotifyKey } from "../builds/config/read-notify-key.js";
import { isLiteralBranch } from "./match-branch.js";
import { readSchedule } from "../builds/config/read-schedule.js";
import type { PrivateRepo } from "./private-repo.js";
import { PrivateReposError } from "./private-repos-error.js";

export interface ParsePrivateReposOptions {
  /** The file's path, for messages (and what `secret_file` is relative to: the caller resolves it). */
  file: string;
  /** Reads a `secret_file:` (path as written); throws when it cannot. */
  readSecretFile: (path: string) => string;
}

/** The JSON Schema check of the private repositories' file, compiled once. */
const checkPrivateRepos = createSchemaCheck(privateReposSchema);

/** A repository name: part of the hook's URL and of the store's records. */
export const PRIVATE_REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MIN_SECRET_LENGTH = 16;
const KEY_HINTS: Readonly<Record<string, string>> = {
  branch: "use `branches:` (a list), e.g. `branches: [main]`",
  clone_url: "use `url:`",
  repository: "use `url:` for the clone URL and `name:` for the name",
  path: "use `url:` (a path is fine: `url: /home/git/project.git`)",
  secretfile: "use `secret_file:`",
  "secret-file": "use `secret_file:`",
  depends_on: "use `after:` with the GitHub repositories, e.g. `after: [owner/app]`",
  private: "use `visibility: private` (the default) or `visibility: public`",
};

/** A schema problem as this file's reader words it: an unknown key gets the hint for habits. */
function schemaMessage(problem: SchemaProblem): string {
  if (problem.unknownKey === undefined) return problem.message;
  if (problem.path === "") return `unknown key \`${problem.unknownKey}\`: the file holds one key, \`repositories:\`, a list of repositories`;
  const hint = /^\/repositories\/\d+$/.test(problem.path) ? KEY_HINTS[problem.unknownKey.toLowerCase()] : undefined;
  return hint ? `unknown key \`${problem.unknownKey}\`: ${hint}` : problem.message;
}

/**
 * Parses the private repositories file (schema: docs/bridge.md):
 *
 * ```yaml
 * repositories:
 *   - name: sample-project
 *     url: /home/git/django-sample-project.git
 *     branches: [main, "release/*"]
 *     secret_file: /etc/ponyci/sample-project.secret
 *     after: [danirus/django-sample-app]
 * ```
 * Pure except for `readSecretFile`.
 * @throws PrivateReposError naming the line and the fix
 */
export function parsePrivateRepos(text: string, options: ParsePrivateReposOptions): PrivateRepo[] {
  const { file } = options;
  let yaml: YamlDocument;
  try {
    yaml = readYamlDocument(text);
  } catch (error) {
    if (!(error instanceof YamlDocumentError)) throw error;
    const what = error.kind === "aliases" ? error.problem : `not valid YAML (${error.problem}): check the indentation and quoting`;
    throw new PrivateReposError({ file, line: error.line, cause: error.cause, message: `${file} line ${error.line}: ${what}.` });
  }
  const lineOf = (node: Node | null | undefined) => yaml.positionOf(node).line;
  const fail = (node: Node | null | undefined, problem: string): never => {
    const line = lineOf(node);
    throw new PrivateReposError({ file, line, message: `${file} line ${line}: ${problem}.` });
  };
  // The schema (the contract editors see) first: the structure's one description, its problems at their line.
  const problem = checkPrivateRepos(yaml);
  if (problem) throw new PrivateReposError({ file, line: problem.line, message: `${file} line ${problem.line}: ${schemaMessage(problem)}.` });
  return readRepos(yaml.doc.contents as Node | null);

  // From here on the file has passed privateReposSchema: the reader converts, and checks only what a schema cannot say.
  function readRepos(root: Node | null): PrivateRepo[] {
    if (!isMap(root)) return []; // the schema allows a mapping or nothing
    const list = root.items[0]?.value as Node | null | undefined; // `repositories:`, the one key
    if (!isSeq(list)) return [];

    const repos: PrivateRepo[] = [];
    const names = new Map<string, number>();
    for (const item of list.items as YAMLMap[]) {
      const repo = readRepo(item);
      const seen = names.get(repo.name);
      if (seen !== undefined) fail(item, `the name "${repo.name}" is used twice (also on line ${seen}): give each repository its own name`);
      names.set(repo.name, repo.line ?? 1);
      repos.push(repo);
    }
    return repos;
  }

  function readRepo(map: YAMLMap): PrivateRepo {
    const values = new Map<string, { key: Node; value: Node | null }>();
    for (const pair of map.items) values.set(String((pair.key as Scalar).value), { key: pair.key as Node, value: pair.value as Node | null });
    const line = lineOf(map);
    const name = readString(values.get("name"), "name");
    // The schema's pattern holds for strings; a name YAML read as a number (-1) is checked here.
    if (!PRIVATE_REPO_NAME.test(name)) {
      fail(values.get("name")?.value, `name "${name}" may hold only letters, digits, '.', '_' and '-' (it is part of the hook's URL), e.g. \`name: django-sample-project\``);
    }
    const url = readString(values.get("url"), "url");
    try {
      parseRepoUrl(url);
    } catch (error) {
      fail(values.get("url")?.value, `${(error as Error).message} (relative paths are not accepted: write the absolute path)`);
    }
    return {
      name,
      url,
      branches: readBranches(values.get("branches")),
      secret: readSecret(values.get("secret"), values.get("secret_file"), name, map),
      visibility: readVisibility(values.get("visibility")),
      after: readAfter(values.get("after"), values.get("branches")),
      ...(values.has("notify") ? { notify: readNotifyKey(values.get("notify")?.value ?? null, values.get("notify")?.key as Node, { fail, resolve: (node) => node ?? null }) } : {}),
      ...(values.has("forge") ? { forge: readForge(values.get("forge") as { key: Node; value: Node | null }, name) } : {}),
      ...(values.has("schedule") ? { schedule: readSchedule(values.get("schedule")?.value ?? null, values.get("schedule")?.key as Node, { fail, resolve: (node) => node ?? null }) } : {}),
      line,
    };
  }

  /** `forge: {type: gitea, api: https://git.example.com/api/v1, project: owner/repo, token_file: /etc/ponyci/gitea.token}` */
  function readForge(entry: { key: Node; value: Node | null }, name: string): ForgeConfig {
    const values = new Map<string, { key: Node; value: Node | null }>();
    for (const pair of (entry.value as YAMLMap).items) values.set(String((pair.key as Scalar).value), { key: pair.key as Node, value: pair.value as Node | null });
    const kind = readString(values.get("type"), "type") as ForgeKind;
    const api = readString(values.get("api"), "api");
    let apiUrl: URL | undefined;
    try {
      apiUrl = new URL(api);
    } catch {
      apiUrl = undefined;
    }
    if (!apiUrl || (apiUrl.protocol !== "https:" && apiUrl.protocol !== "http:") || apiUrl.username || apiUrl.password) {
      fail(values.get("api")?.value, `\`api:\` must be an http(s) URL without credentials, e.g. https://git.example.com/api/v1`);
    }
    const project = readString(values.get("project"), "project");
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(project) || (kind !== "gitlab" && !/^[^/]+\/[^/]+$/.test(project))) {
      fail(values.get("project")?.value, kind === "gitlab" ? `project "${project}" is not a GitLab project path or id, e.g. group/${name}` : `project "${project}" is not owner/repo`);
    }
    let token: string | undefined;
    if (values.has("token") && values.has("token_file")) fail(values.get("token_file")?.key, "give either `token:` or `token_file:`, not both");
    if (values.has("token")) token = readString(values.get("token"), "token");
    if (values.has("token_file")) {
      const file = readString(values.get("token_file"), "token_file");
      try {
        token = options.readSecretFile(file).trim();
      } catch (error) {
        fail(values.get("token_file")?.value, `token_file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
      if (!token) fail(values.get("token_file")?.value, `token_file ${file} is empty`);
    }
    return { kind, api: api.replace(/\/+$/, ""), project, ...(token ? { token } : {}) };
  }

  /** A key the schema requires (or the caller found) and types as a string or number; empty text is the one thing left to refuse. */
  function readString(entry: { key: Node; value: Node | null } | undefined, key: string): string {
    const value = entry?.value as Scalar | null | undefined;
    const text = String(value?.value ?? "").trim();
    if (text === "") return fail(value ?? entry?.key, `\`${key}:\` is empty`);
    return text;
  }

  /** A list the schema types as non-empty strings, or one string standing for a one-item list. */
  function readList(entry: { key: Node; value: Node | null }): { text: string; node: Node }[] {
    const value = entry.value as Node;
    const items = isSeq(value) ? (value.items as Scalar[]) : [value as Scalar];
    return items.map((item) => ({ text: String(item.value).trim(), node: item }));
  }

  function readBranches(entry: { key: Node; value: Node | null } | undefined): string[] | undefined {
    if (!entry) return undefined;
    return readList(entry).map(({ text, node }) => {
      if (text.startsWith("refs/")) fail(node, `write branch names without "refs/heads/": "${text.replace(/^refs\/heads\//, "")}"`);
      if (/\s|\.\.|^-|[~^:\\]/.test(text)) fail(node, `"${text}" is not a branch name or pattern`);
      return text;
    });
  }

  function readSecret(inline: { key: Node; value: Node | null } | undefined, fromFile: { key: Node; value: Node | null } | undefined, name: string, map: YAMLMap): string {
    if (inline && fromFile) return fail(fromFile.key, "give either `secret:` or `secret_file:`, not both");
    if (!inline && !fromFile) {
      return fail(map, `"${name}" has no secret: add \`secret_file: /etc/ponyci/${name}.secret\` (create it with \`openssl rand -hex 32 > /etc/ponyci/${name}.secret\`) or \`secret:\``);
    }
    let secret: string;
    if (inline) {
      secret = readString(inline, "secret");
    } else {
      const path = readString(fromFile, "secret_file");
      try {
        secret = options.readSecretFile(path).trim();
      } catch (error) {
        return fail(fromFile?.value, `secret_file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): create it with \`openssl rand -hex 32 > ${path}\`, readable by the Pony CI user`);
      }
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      fail((inline ?? fromFile)?.value, `the secret of "${name}" is too short (${secret.length} characters): use at least ${MIN_SECRET_LENGTH}, e.g. the output of \`openssl rand -hex 32\``);
    }
    return secret;
  }

  function readVisibility(entry: { key: Node; value: Node | null } | undefined): Visibility {
    return entry ? (readString(entry, "visibility") as Visibility) : "private";
  }

  function readAfter(entry: { key: Node; value: Node | null } | undefined, branches: { key: Node; value: Node | null } | undefined): string[] {
    if (!entry) return [];
    const after = readList(entry).map(({ text }) => text);
    if (branches) {
      const first = readList(branches)[0];
      if (first && !isLiteralBranch(first.text)) {
        fail(first.node, `with \`after:\`, the first of \`branches:\` is the branch downstream builds use: make it a branch name ("${first.text}" is a pattern), e.g. \`branches: [main, "release/*"]\``);
      }
    }
    return after;
  }
}
