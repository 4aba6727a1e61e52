import type { ForgeConfig } from "../builds/config/forge-config.js";
import type { NotifyConfig } from "../builds/config/notify-config.js";
import type { Visibility } from "../store/build-rows.js";
import type { ScheduleEntry } from "../builds/config/read-schedule.js";

/**
 * A repository on a private git server (no GitHub) whose pushes the bridge
 * accepts: one entry of the private repositories file (docs/bridge.md).
 */
export interface PrivateRepo {
  /** Letters, digits, `.`, `_`, `-`: the store's repo name and part of the hook's URL. */
  name: string;
  /** What the runner clones: an absolute path, file://…, ssh://… or git@host:path. */
  url: string;
  /** Branch name globs to build (`*` within a segment, `**` across); undefined: every branch. */
  branches?: string[];
  /** The HMAC-SHA256 key shared with the hook. Never logged. */
  secret: string;
  /** Default private: the build shows only on the private dashboard. */
  visibility: Visibility;
  /** GitHub repositories ("owner/repo") this project is rebuilt after, against their new commit. */
  after: string[];
  /** `notify:`: who hears about this repository's failed and recovered builds (src/notify). */
  notify?: NotifyConfig;
  /** `forge:`: a Gitea, Forgejo or GitLab that sends push webhooks and gets commit statuses (src/forge). */
  forge?: ForgeConfig;
  /** `schedule:` cron entries (UTC); a branch-less entry builds the first of `branches:` (a name), else main. */
  schedule?: ScheduleEntry[];
  /** Line of the entry in the file, for messages. */
  line?: number;
}
