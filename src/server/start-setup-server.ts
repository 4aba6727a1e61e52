import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run, type Logger as ProbotLogger, type Server } from "probot";
import { parseDocument } from "yaml";
import type { Settings } from "../settings/load-settings.js";
import { findFreePort } from "./find-free-port.js";

export interface SetupServer {
  server: Server;
  port: number;
  /** app.yml as Probot reads it (from the working directory). */
  manifestPath: string;
  stop(): Promise<void>;
}

/**
 * `ponyci serve` without APP_ID: Probot's own set-up mode (the GitHub App
 * manifest flow). http://HOST:PORT/ shows a "Register GitHub App" button that
 * posts app.yml to GitHub; GitHub redirects back, and Probot writes APP_ID,
 * PRIVATE_KEY and WEBHOOK_SECRET into .env in the working directory. Restart
 * `ponyci serve` afterwards. Webhooks are not received in this mode.
 *
 * Probot reads the manifest from `app.yml` in the working directory, where it
 * also writes .env; when there is none, the packaged app.yml is written there
 * first, its webhook URL pointed at WEBHOOK_PROXY_URL or
 * PONYCI_PUBLIC_URL/api/github/webhooks (GitHub needs a URL it can reach),
 * its sign-in callback at PONYCI_PUBLIC_URL/login/github/callback. With
 * GH_ORG, Probot registers the app under that organisation (it reads the
 * variable from the environment itself).
 */
export async function startSetupServer(options: { settings: Settings; log: ProbotLogger; cwd?: string }): Promise<SetupServer> {
  const { settings, log } = options;
  const cwd = options.cwd ?? process.cwd();
  const manifestPath = path.join(cwd, "app.yml");
  const webhookUrl = webhookUrlOf(settings);
  if (!existsSync(manifestPath)) {
    writeFileSync(manifestPath, renderManifest(readFileSync(findPackagedManifest(), "utf8"), settings));
    log.info({ path: manifestPath }, "wrote the GitHub App manifest Probot registers the app from");
  } else {
    // The user's own manifest is used as it is; a webhook URL GitHub cannot reach is the usual mistake.
    const url: unknown = parseDocument(readFileSync(manifestPath, "utf8")).getIn(["hook_attributes", "url"]);
    if (url !== webhookUrl) log.warn({ path: manifestPath, url, expected: webhookUrl }, "app.yml sends GitHub's webhooks somewhere else than this server: edit hook_attributes.url before registering");
  }
  // GH_ORG: Probot's set-up page reads it from the process environment itself (where the CLI
  // loaded .env); loadSettings only checked it (settings.setup.org).
  const port = settings.port === 0 ? await findFreePort(settings.host) : settings.port;
  // Probot's `run` enters set-up mode because the env it is given has no APP_ID.
  const server = await run(() => undefined, { env: { HOST: settings.host, PORT: String(port), LOG_LEVEL: settings.logLevel }, log });
  return { server, port, manifestPath, stop: () => server.stop() };
}

/** The packaged manifest with the webhook URL this server will be reached at. */
export function renderManifest(template: string, settings: Pick<Settings, "publicUrl" | "setup">): string {
  const document = parseDocument(template);
  document.setIn(["hook_attributes", "url"], webhookUrlOf(settings));
  // Dashboard sign-in (GitHub OAuth with the app's client id, which the set-up flow writes into .env).
  document.setIn(["callback_urls"], document.createNode([`${settings.publicUrl}/login/github/callback`]));
  return document.toString();
}

/** Where GitHub should send webhooks: the smee.io proxy in development, else this server's public URL. */
function webhookUrlOf(settings: Pick<Settings, "publicUrl" | "setup">): string {
  return settings.setup?.webhookProxyUrl ?? `${settings.publicUrl}/api/github/webhooks`;
}

/** app.yml ships at the package root: two levels above src/server, three above dist/src/server. */
function findPackagedManifest(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth += 1) {
    const candidate = path.join(dir, "app.yml");
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("app.yml is missing from the Pony CI package: reinstall it (npm install -g ponyci)");
}
