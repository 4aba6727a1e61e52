import { statSync } from "node:fs";
import type { Logger } from "../domain/logger.js";
import { loadWebUsers, type WebUsers } from "./web-users.js";

export interface LiveWebUsers {
  /** The users file as last read; the same object throughout, its lists replaced when the file changes. */
  users: WebUsers;
  /** Reads the file again when it changed (size, mtime or inode): called before every dashboard request. */
  refresh(): void;
}

/**
 * The users file (PONYCI_WEB_USERS) followed as it changes, so that a user
 * removed or demoted there loses the rights at the next request, whatever
 * their session cookie says. A changed file that does not load keeps the
 * users as they were and logs why (the file is the operator's: fix it).
 */
export function createLiveWebUsers(file: string, log: Logger): LiveWebUsers {
  const users = loadWebUsers(file);
  const stamp = () => {
    const st = statSync(file, { throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : "missing";
  };
  let seen = stamp();
  return {
    users,
    refresh() {
      const now = stamp();
      if (now === seen) return;
      seen = now;
      try {
        const fresh = loadWebUsers(file);
        users.users = fresh.users;
        users.tokens = fresh.tokens;
        users.github = fresh.github;
        log.info({ file }, "dashboard users file reloaded");
      } catch (error) {
        log.error({ err: error }, "the dashboard users file changed but cannot be used: keeping the users as they were");
      }
    },
  };
}
