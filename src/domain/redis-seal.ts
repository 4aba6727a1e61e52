import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** What a signature covers: a signature made for one kind never verifies as another (a cancel is not an event). */
export type SignedKind = "dispatch" | "event" | "cancel";

/**
 * Signing and sealing for everything the server and runners exchange through
 * Redis (PONYCI_REDIS_SIGNING_KEY, shared by the server and its runners).
 * Whoever can write to Redis without the key cannot make a runner run a job
 * or the server accept an event; whoever can read Redis cannot read a clone
 * token. HMAC-SHA256 over `<kind>\n<text>`; tokens sealed with AES-256-GCM
 * under a key derived from the same secret (never the secret itself).
 */
export interface RedisSeal {
  sign(kind: SignedKind, text: string): string;
  /** Constant-time check; false for a missing or malformed signature. */
  verify(kind: SignedKind, text: string, signature: unknown): boolean;
  /** An opaque base64url string only a holder of the key can open. */
  seal(secret: string): string;
  /** The sealed secret, or undefined when it was not sealed with this key or was altered. */
  open(sealed: unknown): string | undefined;
}

/** Shortest key accepted: 32 characters (e.g. `openssl rand -hex 32` gives 64). */
export const MIN_SIGNING_KEY_LENGTH = 32;

export function createRedisSeal(key: string): RedisSeal {
  if (key.length < MIN_SIGNING_KEY_LENGTH) throw new Error(`the Redis signing key must have at least ${MIN_SIGNING_KEY_LENGTH} characters (e.g. openssl rand -hex 32)`);
  const macKey = createHmac("sha256", key).update("ponyci redis mac v1").digest();
  const sealKey = createHmac("sha256", key).update("ponyci redis seal v1").digest();
  const mac = (kind: SignedKind, text: string): Buffer => createHmac("sha256", macKey).update(`${kind}\n`).update(text).digest();
  return {
    sign: (kind, text) => mac(kind, text).toString("base64url"),
    verify(kind, text, signature) {
      if (typeof signature !== "string" || signature.length > 64) return false;
      const given = Buffer.from(signature, "base64url");
      const expected = mac(kind, text);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    seal(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", sealKey, iv);
      const body = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(sealed) {
      if (typeof sealed !== "string" || sealed.length > 16_384) return undefined;
      const raw = Buffer.from(sealed, "base64url");
      if (raw.length < 28) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", sealKey, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
      } catch {
        return undefined;
      }
    },
  };
}
