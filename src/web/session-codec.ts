import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Viewer } from "./viewer.js";

/** What the session cookie carries. */
export interface Session {
  viewer: Viewer;
  /** The CSRF token every POST must repeat. */
  csrf: string;
  /** OAuth `state` of a sign-in in progress, and where to return after it. */
  oauthState?: string;
  returnTo?: string;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** The session's id, which /logout revokes server-side (createSessionRevocations). Set once signed in. */
  sid?: string;
  /** A local user's `userStamp` when the session began: a changed password ends it. */
  stamp?: string;
}

export interface SessionCodec {
  seal(session: Session): string;
  /** The session, or undefined when the cookie was tampered with, forged with another key, or expired. */
  open(cookie: string | undefined, now: number): Session | undefined;
}

/**
 * Session cookies sealed with AES-256-GCM (node:crypto): the tag
 * authenticates the cookie (a changed byte fails to open) and the content
 * stays secret (a GitHub user's token lives in it, so it is encrypted rather
 * than only signed). The key is derived from PONYCI_SESSION_SECRET.
 */
export function createSessionCodec(secret: string): SessionCodec {
  const key = createHash("sha256").update(`ponyci-session:${secret}`).digest();
  return {
    seal(session) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(session), "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(cookie, now) {
      if (!cookie || cookie.length > 8192) return undefined;
      try {
        const raw = Buffer.from(cookie, "base64url");
        if (raw.length < 29) return undefined;
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
        const session = JSON.parse(text) as Session;
        if (typeof session.exp !== "number" || session.exp < now || typeof session.csrf !== "string" || !session.viewer) return undefined;
        return session;
      } catch {
        return undefined;
      }
    },
  };
}
