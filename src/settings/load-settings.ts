import { existsSync, readFileSync, statfsSync } from "node:fs";
import { availableParallelism, homedir, hostname } from "node:os";
import path from "node:path";
import { SettingsError } from "./settings-error.js";
import { defaultHostPython, type HostPython } from "../domain/host-python.js";
import { FORK_PR_APPROVAL_POLICIES, type ForkPrApprovalPolicy } from "../domain/needs-fork-approval.js";
import { defaultCellTimeoutSeconds } from "../domain/cell-timeout.js";
import { defaultServiceLimits } from "../domain/service-limits.js";

/** Everything Pony CI reads from its environment, read once at boot. See .env.example. */
export interface Settings {
  /** Only present (and then complete) when serving as a GitHub App. */
  github?: {
    appId: number;
    privateKey: string;
    webhookSecret: string;
    webhookProxyUrl?: string;
    /**
     * REST API base URL: from GHE_HOST/GHE_PROTOCOL (GitHub Enterprise
     * Server, Probot's convention), else PONYCI_GITHUB_API_URL (an alias, e.g.
     * a local fake in tests); undefined means api.github.com.
     */
    apiUrl?: string;
  };
  /**
   * `serve` without APP_ID: Probot's set-up mode, which registers the app
   * from app.yml in the browser (the manifest flow) and writes .env.
   */
  setup?: {
    webhookProxyUrl?: string;
    /** GH_ORG (Probot's): register the app under this organisation, not the signed-in user. */
    org?: string;
  };
  host: string;
  port: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /** The server's log format (Probot's LOG_FORMAT): pretty, or json by default under NODE_ENV=production. */
  logFormat: "pretty" | "json";
  /** Running cells get this long to finish on SIGTERM/SIGINT before they go back to the queue. */
  shutdownGraceMs: number;
  /** Public base URL of this server, for check runs' details_url (build pages under /builds/). */
  publicUrl: string;
  dataDir: string;
  concurrency: number;
  /** Image template for a Python version: "auto" or e.g. "ponyci/python:{python}". */
  baseImage: string;
  /** PONYCI_PYTHON_IMAGES: the operator's base image per Python version ("3.12=registry.example/python:3.12,…"), used as given. */
  pythonImages: Record<string, string>;
  /** PONYCI_REGISTRY: try python:X.Y-slim from a registry before building a missing Python's image here (default on). */
  registry: boolean;
  /** Database services: image template ("auto", "ponyci/{service}:{version}", "{service}:{version}") and memory per service container. */
  services: { image: string; memoryBytes: number };
  cell: {
    memoryBytes: number;
    nanoCpus: number;
    pidsLimit: number;
    timeoutSec: number;
    logLimitBytes: number;
    /** PONYCI_CELL_WORKERS: processes one cell's Django or pytest suite is split across by timings (issue 28); 1: no split. */
    testWorkers?: number;
  };
  maxCells: number;
  /** PONYCI_REDIS_URL set: BullMQ on that Redis (cells go to `ponyci runner`s); else the embedded queue. */
  /** With Redis, `prefix` (PONYCI_REDIS_PREFIX, default "ponyci") starts every key: installations sharing one Redis use different ones. */
  queue: { kind: "embedded" } | { kind: "redis"; url: string; prefix: string };
  /** PONYCI_REDIS_SIGNING_KEY: shared by the server and its runners; required with Redis (signs cells and events, seals clone tokens). */
  redisSigningKey?: string;
  /** `serve` runs cells on this host too (PONYCI_LOCAL_RUNNER, default on; only meaningful with Redis). */
  localRunner: boolean;
  /** With Redis, a cell is split across runners when its recorded tests took `minSec` (PONYCI_SHARD_MIN_SEC, default 120), into `max` shards at most (PONYCI_SHARD_MAX, default 4; 1: never). */
  shard: { minSec: number; max: number };
  /** What a `ponyci runner` (or the server's own runner) advertises. */
  runner: {
    /** PONYCI_RUNNER_ID; default host name. Shown in check runs ("retried after runner X was lost"). */
    id: string;
    /** PONYCI_RUNNER_LABELS: comma-separated, e.g. "gpu,big". */
    labels: string[];
    /** PONYCI_RUNNER_PYTHONS: Python versions it takes; default those whose base images it has. */
    pythons?: string[];
    /** PONYCI_RUNNER_PORT: where `ponyci runner` serves /healthz and /metrics (on HOST); unset: not served. */
    port?: number;
    /** PONYCI_RUNNER_REPO_URLS: local repository urls (absolute paths, file://) this runner may check out besides network urls; default none. */
    repoUrls: string[];
  };
  /** Config file of the private repositories the bridge accepts (optional). */
  privateReposFile?: string;
  /** The host's Python and pip: interpreter, the operator's package index and its CA. */
  hostPython: HostPython;
  /**
   * What Pony CI's caches and records may take on disk (environments,
   * wheels, mirrors, workspaces, logs), in bytes: the garbage collector
   * removes the least recently used beyond it.
   */
  diskBudgetBytes: number;
  /** How environments resolve and install requirements: "uv" (default) or "pip" (PONYCI_RESOLVER). */
  resolver: "uv" | "pip";
  /**
   * Django's Python support table (src/builds/versions): read from the
   * package index every `refreshMs` (PONYCI_DJANGO_SUPPORT_REFRESH, hours),
   * or the operator's own JSON file (PONYCI_DJANGO_SUPPORT) instead.
   */
  djangoSupport: { file?: string; refreshMs: number };
  /** Which fork pull requests wait for a maintainer's "Approve and run" (PONYCI_FORK_PR_APPROVAL). */
  forkPrApproval: ForkPrApprovalPolicy;
  /** The dashboards' sign-in (docs/dashboards.md). */
  web: {
    /** YAML file of local users, admin tokens and GitHub logins (PONYCI_WEB_USERS). */
    usersFile?: string;
    /** Key of the session cookies; undefined: a random one per process (sessions end at a restart). */
    sessionSecret?: string;
    /** GitHub OAuth with the App's client id and secret (Probot's names). */
    oauth?: { clientId: string; clientSecret: string; webUrl: string };
  };
  /** Email, chat and webhook notifications (docs/notifications.md). */
  notify: NotifySettings;
}

export interface NotifySettings {
  /** PONYCI_SMTP_URL: smtp://user:pass@host:port (STARTTLS when offered; `?requireTLS=true` to insist) or smtps://. */
  smtpUrl?: string;
  /** PONYCI_SMTP_CA: PEM file of the CA the SMTP server's certificate is checked against (default: the system's). */
  smtpCaFile?: string;
  /** PONYCI_MAIL_FROM: the From header. */
  from: string;
  /** PONYCI_NOTIFY_AUTHORS: also mail the commit's author, for private repositories. */
  authors: boolean;
  /** PONYCI_NOTIFY_HOSTS: hosts a repository's own config may name in webhook:, slack:, mattermost:. */
  allowedHosts: string[];
  /** PONYCI_NOTIFY_RATE: messages per repository and hour, each channel; more wait. */
  perRepoPerHour: number;
  /** PONYCI_NOTIFY_SECRET: HMAC key of the `webhook:` deliveries' signature header. */
  webhookSecret?: string;
}

export type SettingsMode = "run" | "serve";

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/**
 * Read and validate the settings. `serve` needs the GitHub App credentials;
 * `run` (the CLI's embedded job) does not. Throws SettingsError on the first
 * missing or malformed value.
 */
export function loadSettings(env: Env = process.env, mode: SettingsMode = "run"): Settings {
  const dataDir = path.resolve(env.PONYCI_DATA_DIR || path.join(homedir(), ".ponyci"));
  // REDIS_URL: an alias of PONYCI_REDIS_URL (the name most hosting platforms set).
  const redisUrl = redis(env, env.PONYCI_REDIS_URL ? "PONYCI_REDIS_URL" : "REDIS_URL");
  // Probot's rule: no APP_ID means set-up mode, never a half-configured app.
  const setupMode = mode === "serve" && !env.APP_ID;
  return {
    github: mode === "serve" && !setupMode ? readGitHub(env) : undefined,
    setup: setupMode ? { webhookProxyUrl: url(env, "WEBHOOK_PROXY_URL"), org: githubOrg(env) } : undefined,
    host: env.HOST || "localhost",
    port: integer(env, "PORT", 3000, 0, 65535),
    logLevel: oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    logFormat: oneOf(env, "LOG_FORMAT", ["pretty", "json"], env.NODE_ENV === "production" ? "json" : "pretty"),
    shutdownGraceMs: integer(env, "PONYCI_SHUTDOWN_GRACE", 30, 0, 86400) * 1000,
    publicUrl: url(env, "PONYCI_PUBLIC_URL") ?? `http://${env.HOST || "localhost"}:${env.PORT || 3000}`,
    dataDir,
    concurrency: integer(env, "PONYCI_CONCURRENCY", availableParallelism(), 1, 256),
    baseImage: env.PONYCI_BASE_IMAGE || "auto",
    pythonImages: pythonImages(env),
    registry: flag(env, "PONYCI_REGISTRY", true),
    services: { image: env.PONYCI_SERVICE_IMAGE || "auto", memoryBytes: bytes(env, "PONYCI_SERVICE_MEMORY", `${defaultServiceLimits.memoryBytes / 1024 ** 3}g`) },
    cell: {
      memoryBytes: bytes(env, "PONYCI_CELL_MEMORY", "2g"),
      nanoCpus: Math.round(decimal(env, "PONYCI_CELL_CPUS", 1, 0.1, 64) * 1e9),
      pidsLimit: integer(env, "PONYCI_CELL_PIDS", 512, 16, 65536),
      timeoutSec: integer(env, "PONYCI_CELL_TIMEOUT", defaultCellTimeoutSeconds, 1, 86400),
      logLimitBytes: bytes(env, "PONYCI_LOG_LIMIT", "5m"),
      testWorkers: integer(env, "PONYCI_CELL_WORKERS", 1, 1, 64),
    },
    maxCells: integer(env, "PONYCI_MAX_CELLS", 24, 1, 256),
    queue: redisUrl ? { kind: "redis", url: redisUrl, prefix: name(env, "PONYCI_REDIS_PREFIX") ?? "ponyci" } : { kind: "embedded" },
    redisSigningKey: redisUrl ? redisSigningKey(env) : undefined,
    localRunner: flag(env, "PONYCI_LOCAL_RUNNER", true),
    shard: { minSec: integer(env, "PONYCI_SHARD_MIN_SEC", 120, 1, 86400), max: integer(env, "PONYCI_SHARD_MAX", 4, 1, 64) },
    runner: {
      id: name(env, "PONYCI_RUNNER_ID") ?? hostname(),
      labels: list(env, "PONYCI_RUNNER_LABELS", /^[A-Za-z0-9._-]{1,64}$/, "gpu,big"),
      pythons: env.PONYCI_RUNNER_PYTHONS ? list(env, "PONYCI_RUNNER_PYTHONS", /^(pypy)?3\.\d{1,2}$/, "3.11,3.13,pypy3.11") : undefined,
      port: env.PONYCI_RUNNER_PORT ? integer(env, "PONYCI_RUNNER_PORT", 9465, 0, 65535) : undefined,
      repoUrls: list(env, "PONYCI_RUNNER_REPO_URLS", /^(\/|file:\/\/\/)[^,\s]*$/, "/srv/git/project.git"),
    },
    privateReposFile: env.PONYCI_PRIVATE_REPOS ? path.resolve(env.PONYCI_PRIVATE_REPOS) : undefined,
    hostPython: readHostPython(env),
    diskBudgetBytes: diskBudget(env, dataDir),
    resolver: oneOf(env, "PONYCI_RESOLVER", ["uv", "pip"] as const, "uv"),
    forkPrApproval: oneOf(env, "PONYCI_FORK_PR_APPROVAL", FORK_PR_APPROVAL_POLICIES, "outside"),
    djangoSupport: {
      file: env.PONYCI_DJANGO_SUPPORT ? path.resolve(env.PONYCI_DJANGO_SUPPORT) : undefined,
      refreshMs: decimal(env, "PONYCI_DJANGO_SUPPORT_REFRESH", 6, 0, 24 * 365) * 3600 * 1000,
    },
    web: readWeb(env),
    notify: readNotify(env),
  };
}

function readNotify(env: Env): NotifySettings {
  const smtpUrl = env.PONYCI_SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/\s]+/.test(smtpUrl)) {
    throw new SettingsError("PONYCI_SMTP_URL is not an smtp:// or smtps:// URL: use e.g. PONYCI_SMTP_URL=smtp://user:password@mail.example.com:587", "PONYCI_SMTP_URL");
  }
  const host = new URL(url(env, "PONYCI_PUBLIC_URL") ?? "http://localhost").hostname || "localhost";
  const secret = env.PONYCI_NOTIFY_SECRET || undefined;
  if (secret !== undefined && secret.length < 16) throw new SettingsError("PONYCI_NOTIFY_SECRET is shorter than 16 characters: generate one with `openssl rand -hex 32`", "PONYCI_NOTIFY_SECRET");
  return {
    smtpUrl,
    smtpCaFile: env.PONYCI_SMTP_CA ? path.resolve(env.PONYCI_SMTP_CA) : undefined,
    from: env.PONYCI_MAIL_FROM || `Pony CI <ponyci@${host}>`,
    authors: flag(env, "PONYCI_NOTIFY_AUTHORS", false),
    allowedHosts: env.PONYCI_NOTIFY_HOSTS === undefined ? ["hooks.slack.com"] : list(env, "PONYCI_NOTIFY_HOSTS", /^[A-Za-z0-9.-]{1,253}$/, "hooks.slack.com,chat.example.com"),
    perRepoPerHour: integer(env, "PONYCI_NOTIFY_RATE", 30, 1, 10_000),
    webhookSecret: secret,
  };
}

function readWeb(env: Env): Settings["web"] {
  const secret = env.PONYCI_SESSION_SECRET || undefined;
  if (secret !== undefined && secret.length < 32) {
    throw new SettingsError("PONYCI_SESSION_SECRET is shorter than 32 characters: generate one with `openssl rand -hex 32`", "PONYCI_SESSION_SECRET");
  }
  const clientId = env.GITHUB_CLIENT_ID || undefined;
  const clientSecret = env.GITHUB_CLIENT_SECRET || undefined;
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new SettingsError("Set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (from the GitHub App's settings page) for GitHub sign-in, or neither", clientId ? "GITHUB_CLIENT_SECRET" : "GITHUB_CLIENT_ID");
  }
  const webUrl = url(env, "PONYCI_GITHUB_WEB_URL") ?? (env.GHE_HOST ? `${env.GHE_PROTOCOL || "https"}://${env.GHE_HOST}` : "https://github.com");
  return {
    usersFile: env.PONYCI_WEB_USERS ? path.resolve(env.PONYCI_WEB_USERS) : undefined,
    sessionSecret: secret,
    oauth: clientId && clientSecret ? { clientId, clientSecret, webUrl } : undefined,
  };
}

/**
 * Host pip runs with `--isolated` and no configuration file, so the index and
 * CA it uses are only these (PIP_INDEX_URL and PIP_CERT of the operator's own
 * environment are honoured as defaults); proxies are passed on as set.
 */
function readHostPython(env: Env): HostPython {
  const proxy: Record<string, string> = {};
  for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"]) {
    const value = env[name];
    if (value) proxy[name] = value;
  }
  const indexUrl = url(env, "PONYCI_PIP_INDEX_URL") ?? url(env, "PIP_INDEX_URL");
  const certFile = env.PONYCI_PIP_CERT || env.PIP_CERT;
  return defaultHostPython({
    python: env.PONYCI_PYTHON || "python3",
    ...(indexUrl ? { indexUrl: indexUrl.endsWith("/") ? indexUrl : `${indexUrl}/` } : {}),
    ...(certFile ? { certFile: path.resolve(certFile) } : {}),
    path: env.PATH,
    home: env.HOME,
    proxy,
  });
}

/**
 * PONYCI_DISK_BUDGET: a size ("40g") or a share of the file system holding
 * the data directory ("25%", the default), measured with statfs at boot.
 */
/** "3.12=registry.example/python:3.12, 3.10=…" → { "3.12": "registry.example/python:3.12", … }. */
function pythonImages(env: Env): Record<string, string> {
  const raw = env.PONYCI_PYTHON_IMAGES?.trim();
  const images: Record<string, string> = {};
  if (!raw) return images;
  for (const item of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const match = /^((?:pypy)?3\.\d{1,2})=([A-Za-z0-9][A-Za-z0-9._/:@-]{0,254})$/.exec(item);
    if (!match?.[1] || !match[2]) throw new SettingsError(`PONYCI_PYTHON_IMAGES: "${item}" is not VERSION=IMAGE: use e.g. PONYCI_PYTHON_IMAGES=3.12=registry.example/python:3.12-slim`, "PONYCI_PYTHON_IMAGES");
    images[match[1]] = match[2];
  }
  return images;
}

function diskBudget(env: Env, dataDir: string): number {
  const raw = (env.PONYCI_DISK_BUDGET || "25%").trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(raw);
  if (!percent) return bytes({ PONYCI_DISK_BUDGET: raw }, "PONYCI_DISK_BUDGET", "40g");
  const share = Number(percent[1]);
  if (share <= 0 || share > 100) throw new SettingsError(`PONYCI_DISK_BUDGET=${raw} is not a share of the disk from 0 to 100 %: use e.g. PONYCI_DISK_BUDGET=25%`, "PONYCI_DISK_BUDGET");
  let dir = dataDir;
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const fs = statfsSync(dir);
  return Math.floor((fs.blocks * fs.bsize * share) / 100);
}

function readGitHub(env: Env): NonNullable<Settings["github"]> {
  const appId = integer(env, "APP_ID", NaN, 1, Number.MAX_SAFE_INTEGER);
  let privateKey = env.PRIVATE_KEY;
  if (!privateKey && env.PRIVATE_KEY_PATH) {
    try {
      privateKey = readFileSync(env.PRIVATE_KEY_PATH, "utf8");
    } catch (error) {
      throw new SettingsError(`PRIVATE_KEY_PATH=${env.PRIVATE_KEY_PATH} cannot be read (${(error as Error).message}): point it at the .pem file GitHub generated for the app`, "PRIVATE_KEY_PATH");
    }
  }
  if (!privateKey) {
    throw new SettingsError("Neither PRIVATE_KEY nor PRIVATE_KEY_PATH is set: generate a private key on the GitHub App's settings page and set PRIVATE_KEY_PATH to the .pem file", "PRIVATE_KEY");
  }
  if (!privateKey.includes("-----BEGIN")) {
    // Probot accepts base64-encoded keys too.
    const decoded = Buffer.from(privateKey, "base64").toString("utf8");
    if (!decoded.includes("-----BEGIN")) {
      throw new SettingsError("PRIVATE_KEY is not a PEM private key (nor base64 of one): paste the whole .pem file, including the BEGIN/END lines, or use PRIVATE_KEY_PATH", "PRIVATE_KEY");
    }
    privateKey = decoded;
  }
  const webhookSecret = env.WEBHOOK_SECRET;
  if (!webhookSecret) {
    throw new SettingsError("WEBHOOK_SECRET is not set: use the same secret as in the GitHub App's webhook settings (generate one with `openssl rand -hex 32`)", "WEBHOOK_SECRET");
  }
  return { appId, privateKey, webhookSecret, webhookProxyUrl: url(env, "WEBHOOK_PROXY_URL"), apiUrl: githubApiUrl(env) };
}

/** Probot's GHE_HOST/GHE_PROTOCOL (GitHub Enterprise Server) first; PONYCI_GITHUB_API_URL is an alias kept for existing set-ups. */
function githubApiUrl(env: Env): string | undefined {
  const protocol = oneOf(env, "GHE_PROTOCOL", ["https", "http"], "https");
  const host = env.GHE_HOST?.trim();
  if (host) {
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) {
      throw new SettingsError(`GHE_HOST=${JSON.stringify(host)} is not a host name: use e.g. GHE_HOST=github.example.com (no scheme, no path)`, "GHE_HOST");
    }
    return `${protocol}://${host}/api/v3`;
  }
  return url(env, "PONYCI_GITHUB_API_URL");
}

function redis(env: Env, key: string): string | undefined {
  const raw = env[key];
  if (!raw) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^rediss?:$/.test(parsed.protocol) || !parsed.hostname) {
    throw new SettingsError(`${key}=${JSON.stringify(raw)} is not a Redis URL: use e.g. ${key}=redis://127.0.0.1:6379`, key);
  }
  return raw;
}

function redisSigningKey(env: Env): string {
  const key = env.PONYCI_REDIS_SIGNING_KEY?.trim() ?? "";
  if (key.length < 32) {
    throw new SettingsError(
      `PONYCI_REDIS_SIGNING_KEY is ${key ? "shorter than 32 characters" : "not set"}: with Redis the server and its runners sign what they exchange; generate one with \`openssl rand -hex 32\` and give every runner the same`,
      "PONYCI_REDIS_SIGNING_KEY",
    );
  }
  return key;
}

function flag(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new SettingsError(`${key}=${JSON.stringify(env[key])} is not on or off: use ${key}=1 or ${key}=0`, key);
}

function name(env: Env, key: string): string | undefined {
  const raw = env[key];
  if (!raw) return undefined;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(raw)) throw new SettingsError(`${key}=${JSON.stringify(raw)}: use letters, digits, ".", "_" and "-" (at most 64)`, key);
  return raw;
}

function list(env: Env, key: string, item: RegExp, example: string): string[] {
  const raw = env[key];
  if (!raw) return [];
  const items = raw.split(",").map((part) => part.trim()).filter((part) => part !== "");
  const bad = items.find((part) => !item.test(part));
  if (bad !== undefined) throw new SettingsError(`${key}: ${JSON.stringify(bad)} is not allowed: use e.g. ${key}=${example}`, key);
  return [...new Set(items)];
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new SettingsError(`${name}=${JSON.stringify(raw)} is not a whole number: use e.g. ${name}=${Number.isNaN(fallback) ? min : fallback}`, name);
  const value = Number(raw);
  if (value < min || value > max) throw new SettingsError(`${name}=${raw} is out of range: use a value from ${min} to ${max}`, name);
  return value;
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || value < min || value > max) {
    throw new SettingsError(`${name}=${JSON.stringify(raw)} is not a number from ${min} to ${max}: use e.g. ${name}=${fallback}`, name);
  }
  return value;
}

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function bytes(env: Env, name: string, fallback: string): number {
  const raw = (env[name] || fallback).trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)\s*([bkmg]?)i?b?$/.exec(raw);
  if (!match) throw new SettingsError(`${name}=${JSON.stringify(env[name])} is not a size: use e.g. ${name}=${fallback} (units b, k, m, g)`, name);
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? ""] ?? 1));
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new SettingsError(`${name}=${JSON.stringify(raw)} is not one of ${allowed.join(", ")}`, name);
  return raw as T;
}

/**
 * GH_ORG: an organisation's login (letters, digits, single hyphens, ≤ 39).
 * Probot's set-up page reads it from the environment and registers the app
 * at /organizations/<org>/settings/apps/new, so the organisation owns it
 * and can install it; checked here so a typo fails at start, not on GitHub.
 */
function githubOrg(env: Env): string | undefined {
  const raw = env.GH_ORG?.trim();
  if (!raw) return undefined;
  if (!/^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/.test(raw)) {
    throw new SettingsError(`GH_ORG=${JSON.stringify(raw)} is not an organisation's login: use the name in https://github.com/<org>, e.g. GH_ORG=pony-org`, "GH_ORG");
  }
  return raw;
}

function url(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  try {
    return new URL(raw).toString().replace(/\/$/, "");
  } catch {
    throw new SettingsError(`${name}=${JSON.stringify(raw)} is not a URL: use e.g. ${name}=https://ci.example.com`, name);
  }
}
