import { randomBytes } from "node:crypto";
import type { Settings } from "../settings/load-settings.js";
import type { Logger } from "../domain/logger.js";
import type { Store } from "../store/store.js";
import type { BuildService } from "../builds/create-build-service.js";
import { systemClock, type Clock } from "../store/clock.js";
import { createAccessPolicy } from "./create-access-policy.js";
import { createDashboardHandler } from "./create-dashboard-handler.js";
import { createLiveHub, type LiveHub } from "./create-live-hub.js";
import { createGitHubOAuth } from "./github-oauth.js";
import { createSessionCodec } from "./session-codec.js";
import { loadWebUsers, NO_WEB_USERS } from "./web-users.js";

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
  // One object for the whole server: the access policy and the handlers read its lists at each request, so a reload replaces them in place.
  const users = { ...(settings.web.usersFile ? loadWebUsers(settings.web.usersFile) : NO_WEB_USERS) };
  if (!settings.web.sessionSecret && (users.users.length > 0 || settings.web.oauth)) log.warn("PONYCI_SESSION_SECRET is not set: sign-ins end when the server restarts");
  const oauth = settings.web.oauth
    ? createGitHubOAuth({ ...settings.web.oauth, apiUrl: settings.github?.apiUrl ?? "https://api.github.com" })
    : undefined;
  const hub = createLiveHub({ logLimitBytes: settings.cell.logLimitBytes });
  const sessions = createSessionCodec(settings.web.sessionSecret ?? randomBytes(32).toString("hex"));
  const access = createAccessPolicy({ users, oauth, clock });
  return {
    hub,
    handler: ({ store, builds }) =>
      createDashboardHandler({ store, builds, hub, access, oauth, users, sessions, publicUrl: settings.publicUrl, secureCookies: settings.publicUrl.startsWith("https:"), now: () => clock.now(), log }),
    reloadUsers() {
      if (!settings.web.usersFile) return 0;
      Object.assign(users, loadWebUsers(settings.web.usersFile));
      return users.users.length + users.tokens.length + users.github.length;
    },
  };
}
