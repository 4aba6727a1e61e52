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
 * What git may take from the server's environment: how to reach the network
 * (PATH, HOME, proxies, CA bundles, the operator's ssh agent and command) and
 * nothing else. An allowlist, not a denylist: the server's own secrets
 * (PRIVATE_KEY, WEBHOOK_SECRET), GIT_DIR of a receive hook and whatever
 * configures git from outside never reach it.
 */
const KEPT = new Set([
  "PATH", "HOME", "TMPDIR", "LANG",
  "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
  "GIT_SSL_CAINFO", "GIT_SSL_CAPATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
  "SSH_AUTH_SOCK", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT",
]);

/**
 * Git configuration every checkout runs with (through GIT_CONFIG_COUNT): Git
 * LFS never runs its smudge or process filter (a repository's .gitattributes
 * would otherwise make the server download whatever its LFS pointers name).
 */
const FIXED_CONFIG: [string, string][] = [
  ["filter.lfs.smudge", ""],
  ["filter.lfs.process", ""],
  ["filter.lfs.required", "false"],
];

/**
 * The environment every git command of the checkout runs with: the allowlist
 * above from `base`, plus `GIT_LFS_SKIP_SMUDGE=1` and the fixed config. The
 * token goes in through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n=http.<origin>/.extraHeader`
 * (git ≥ 2.31): it lives only in this process environment, never in a config
 * file, a url or an argument, and git sends it to the repository's own origin
 * only. `GIT_TERMINAL_PROMPT=0` and ssh's BatchMode make a bad credential fail
 * instead of waiting for a password; `LC_ALL=C` keeps git's messages in English.
 * Pass with `extendEnv: false`.
 */
export function buildGitEnv(options: BuildGitEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.base)) {
    if (value !== undefined && KEPT.has(key)) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = "0";
  env.GCM_INTERACTIVE = "never";
  env.LC_ALL = "C";
  env.GIT_LFS_SKIP_SMUDGE = "1";
  if (env.GIT_SSH === undefined && env.GIT_SSH_COMMAND === undefined) env.GIT_SSH_COMMAND = "ssh -o BatchMode=yes";
  const config: [string, string][] = [...FIXED_CONFIG];
  if (options.token !== undefined && options.token !== "" && options.httpsOrigin !== undefined) {
    config.push([`http.${options.httpsOrigin}/.extraHeader`, `Authorization: Basic ${encodeBasicAuth(options.token)}`]);
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  for (const [i, [key, value]] of config.entries()) {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  }
  return env;
}
