import { randomBytes } from "node:crypto";
import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import type { Store } from "../store/store.js";
import type { BuildService } from "../builds/create-build-service.js";
import { systemClock, type Clock } from "../domain/clock.js";
import { createAccessPolicy } from "./create-access-policy.js";
import { createDashboardHandler } from "./create-dashboard-handler.js";
import { createLiveHub, type LiveHub } from "./create-live-hub.js";
import { createGitHubOAuth } from "./github-oauth.js";
import { createSessionCodec } from "./session-codec.js";
import { createLiveWebUsers } from "./create-live-web-users.js";
import { loadWebUsers, NO_WEB_USERS } from "./web-users.js";
import { createSessionRevocations } from "./create-session-revocations.js";
import { createDeviceCookies } from "./device-cookies.js";
import path from "node:path";

export interface Dashboard {
  /** Register it among the build listeners: it is how pages hear about running cells. */
  hub: LiveHub;
  /** The Probot server handler, once the store and build service exist. */
  handler(parts: { store: Store; builds: Pick<BuildService, "submit" | "cancelJobs"> }): ReturnType<typeof createDashboardHandler>;
  /** Reads the users file again (SIGHUP): throws WebUsersError and keeps the old list when the new one is bad. Returns how many users, tokens, GitHub logins. */
  reloadUsers(): number;
}

/** The dashboards wired from the settings: users file, session key, GitHub OAuth. Reads the users file now (a bad one stops the start). */
export function createDashboard(options: { settings: Settings; log: Logger; clock?: Clock }): Dashboard {
  const { settings, log } = options;
  const clock = options.clock ?? systemClock;
  // Followed as it changes (and read again on SIGHUP): a removed or demoted user loses the rights at the next request.
  const live = settings.web.usersFile ? createLiveWebUsers(settings.web.usersFile, log) : undefined;
  const users = live?.users ?? NO_WEB_USERS;
  if (!settings.web.sessionSecret && (users.users.length > 0 || settings.web.oauth)) log.warn("PONYCI_SESSION_SECRET is not set: sign-ins end when the server restarts");
  const oauth = settings.web.oauth
    ? createGitHubOAuth({ ...settings.web.oauth, apiUrl: settings.github?.apiUrl ?? "https://api.github.com" })
    : undefined;
  const hub = createLiveHub({ logLimitBytes: settings.cell.logLimitBytes });
  const secret = settings.web.sessionSecret ?? randomBytes(32).toString("hex");
  const sessions = createSessionCodec(secret);
  const devices = createDeviceCookies(secret);
  // /logout revokes the session for good (a copied cookie too), across restarts.
  const revocations = createSessionRevocations({ file: path.join(settings.dataDir, "web", "revoked-sessions.json") });
  const access = createAccessPolicy({ users, oauth, clock });
  return {
    hub,
    handler: ({ store, builds }) =>
      createDashboardHandler({ store, builds, hub, access, oauth, users, sessions, devices, revocations, refreshUsers: live?.refresh, publicUrl: settings.publicUrl, secureCookies: settings.publicUrl.startsWith("https:"), now: () => clock.now(), log }),
    reloadUsers() {
      if (!settings.web.usersFile) return 0;
      Object.assign(users, loadWebUsers(settings.web.usersFile));
      return users.users.length + users.tokens.length + users.github.length;
    },
  };
}
