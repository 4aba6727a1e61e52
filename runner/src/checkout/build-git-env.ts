import { encodeBasicAuth } from "./scrub-secrets.js";

export interface BuildGitEnvOptions {
  /** The environment to start from (usually process.env). */
  base: NodeJS.ProcessEnv;
  /** `https://host[:port]` of the repository: the only place the token is sent (none for other urls). */
  httpsOrigin?: string;
  /** An https token (GitHub installation token) to send as basic auth. */
  token?: string;
}

/**
 * Variables that point git at a repository, or configure it, from outside
 * (`git rev-parse --local-env-vars`, plus the quarantine of a receive hook): a
 * bridge running inside a post-receive hook has GIT_DIR set, and it must not leak
 * into our git commands. Interactive helpers are dropped so nothing ever waits
 * for a person.
 */
const DROPPED = new Set([
  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
  "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
  "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_SHALLOW_FILE",
  "GIT_COMMON_DIR", "GIT_QUARANTINE_PATH", "GIT_NAMESPACE",
  "GIT_ASKPASS", "SSH_ASKPASS", "EDITOR", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "PAGER", "GIT_PAGER", "GIT_EXTERNAL_DIFF",
]);

/**
 * The environment every git command of the checkout runs with. The token goes
 * in through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0=http.<origin>/.extraHeader`
 * (git ≥ 2.31): it lives only in this process environment, never in a config
 * file, a url or an argument, and git sends it to the repository's own origin
 * only. `GIT_TERMINAL_PROMPT=0` and ssh's BatchMode make a bad credential fail
 * instead of waiting for a password; `LC_ALL=C` keeps git's messages in English.
 */
export function buildGitEnv(options: BuildGitEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.base)) {
    if (value === undefined || DROPPED.has(key) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(key)) continue;
    env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.GCM_INTERACTIVE = "never";
  env.LC_ALL = "C";
  if (env.GIT_SSH === undefined && env.GIT_SSH_COMMAND === undefined) env.GIT_SSH_COMMAND = "ssh -o BatchMode=yes";
  if (options.token !== undefined && options.token !== "" && options.httpsOrigin !== undefined) {
    env.GIT_CONFIG_COUNT = "1";
    env.GIT_CONFIG_KEY_0 = `http.${options.httpsOrigin}/.extraHeader`;
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${encodeBasicAuth(options.token)}`;
  }
  return env;
}
