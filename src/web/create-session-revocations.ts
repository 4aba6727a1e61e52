import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "../util/write-file-atomic.js";

export interface SessionRevocations {
  /** The session `sid` (expiring at `exp`) is signed out: its cookie opens no more, here or after a restart. */
  revoke(sid: string, exp: number, now: number): Promise<void>;
  isRevoked(sid: string): boolean;
}

/** Revoked sessions kept at most (oldest expiry dropped first): a bound on what /logout can make the server hold. */
const MAX_REVOKED = 100_000;

/**
 * Server-side revocation of sealed session cookies: /logout records the
 * session's id until the cookie would have expired anyway, so a copied
 * cookie stops working at once. Kept in memory and, with `file`, in a JSON
 * file the next start reads (written atomically; a file that cannot be read
 * is started afresh).
 */
export function createSessionRevocations(options: { file?: string } = {}): SessionRevocations {
  const revoked = new Map<string, number>();
  if (options.file) {
    try {
      const saved = JSON.parse(readFileSync(options.file, "utf8")) as unknown;
      if (saved && typeof saved === "object") for (const [sid, exp] of Object.entries(saved)) if (typeof exp === "number") revoked.set(sid, exp);
    } catch {
      // none yet
    }
  }
  let writing: Promise<void> = Promise.resolve();
  return {
    async revoke(sid, exp, now) {
      for (const [id, until] of revoked) if (until < now) revoked.delete(id);
      revoked.set(sid, exp);
      while (revoked.size > MAX_REVOKED) {
        let oldest: string | undefined;
        let min = Infinity;
        for (const [id, until] of revoked) if (until < min) [oldest, min] = [id, until];
        if (oldest === undefined) break;
        revoked.delete(oldest);
      }
      const file = options.file;
      if (!file) return;
      const text = JSON.stringify(Object.fromEntries(revoked));
      writing = writing.catch(() => undefined).then(async () => {
        mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        await writeFileAtomic(file, text, { mode: 0o600 });
      });
      await writing;
    },
    isRevoked: (sid) => revoked.has(sid),
  };
}
