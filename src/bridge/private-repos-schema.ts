import { FORGE_KINDS } from "../builds/config/forge-config.js";
import { configFileSchema, oneOrMany } from "../config/one-or-many.js";
import { notifySchema } from "../builds/config/notify-schema.js";
import { scheduleSchema } from "../builds/config/schedule-schema.js";

/**
 * The JSON Schema of the private repositories' file (draft-07; reference:
 * docs/bridge.md): what parsePrivateRepos accepts, checked by ajv when the
 * file is read, published for editors (`ponyci schema private-repos`,
 * docs/private-repos.schema.json). What a schema cannot say (a clone URL's
 * form, a secret file's content, a duplicate name, `after:` needing a
 * branch name first) stays with the reader.
 */
export const privateReposSchema = configFileSchema({
  title: "Pony CI private repositories (PONYCI_PRIVATE_REPOS)",
  description: "Repositories on a private git server whose pushes the bridge accepts. Reference: docs/bridge.md.",
  errorMessage: "the file must be a mapping with a `repositories:` list",
  properties: {
    repositories: {
      type: ["array", "null"],
      errorMessage: "`repositories:` must be a list, each entry starting with `- name: …`",
      items: {
        type: "object",
        required: ["name", "url"],
        additionalProperties: false,
        errorMessage: "each repository must be a mapping with `name:`, `url:` and `secret:` or `secret_file:`",
        properties: {
          name: { type: ["string", "number"], pattern: "^\\s*[A-Za-z0-9][A-Za-z0-9._-]{0,99}\\s*$", description: "Letters, digits, '.', '_', '-': part of the hook's URL.", errorMessage: "name \"{value}\" may hold only letters, digits, '.', '_' and '-' (it is part of the hook's URL)" },
          url: { type: ["string", "number"], pattern: "\\S", description: "What the runner clones: an absolute path, file://…, ssh://… or git@host:path." },
          branches: { ...oneOrMany({ type: ["string", "number"], pattern: "\\S" }, { minItems: 1, errorMessage: '`branches:` lists branch names or patterns, e.g. `branches: [main, "release/*"]` (remove the key for every branch)' }), description: 'Branch name globs to build, e.g. [main, "release/*"]; default every branch.' },
          secret: { type: ["string", "number"], description: "The hook's HMAC key, at least 16 characters (prefer secret_file)." },
          secret_file: { type: ["string", "number"], pattern: "\\S", description: "A file holding the hook's HMAC key." },
          visibility: { enum: ["private", "public"], default: "private", errorMessage: 'visibility "{value}" is neither private nor public' },
          after: { ...oneOrMany({ type: "string", pattern: "^\\s*[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}\\s*$", errorMessage: '"{value}" is not a GitHub repository: write owner/repo' }, { minItems: 1 }), description: "GitHub repositories (owner/repo) this project is rebuilt after." },
          notify: notifySchema,
          forge: {
            type: "object",
            description: "A Gitea, Forgejo or GitLab that sends push webhooks and gets commit statuses.",
            required: ["type", "api", "project"],
            additionalProperties: false,
            properties: {
              type: { enum: [...FORGE_KINDS], errorMessage: `forge type "{value}" is not known: use ${FORGE_KINDS.join(", ")}` },
              api: { type: "string", pattern: "^\\s*[hH][tT][tT][pP][sS]?://", errorMessage: "`api:` must be an http(s) URL without credentials, e.g. https://git.example.com/api/v1" },
              project: { type: ["string", "number"] },
              token: { type: ["string", "number"] },
              token_file: { type: ["string", "number"] },
            },
          },
          schedule: scheduleSchema,
        },
      },
    },
  },
});
