import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const DEVICE_COOKIE = "ponyci_device";
/** A browser stays trusted for a name this long after its last successful sign-in. */
export const DEVICE_MS = 180 * 24 * 3600 * 1000;

export interface DeviceCookies {
  /** A new device cookie's value for a browser that just signed in as `name`. */
  issue(name: string, now: number): string;
  /** The device's id when `value` was issued here for `name` and has not expired; else undefined. */
  verify(value: string | undefined, name: string, now: number): string | undefined;
}

/**
 * OWASP's "device cookies" against lock-out: a browser that signed in as a
 * name once carries `<id>.<expiry>.<hmac(name, id, expiry)>`, and its later
 * sign-ins as that name are limited by its own failures only
 * (createSignInLimiter), so strangers guessing the name cannot lock it out.
 */
export function createDeviceCookies(secret: string): DeviceCookies {
  const key = createHmac("sha256", secret).update("ponyci device cookie v1").digest();
  const mac = (name: string, id: string, exp: string) => createHmac("sha256", key).update(`${name.toLowerCase()}\n${id}\n${exp}`).digest();
  return {
    issue(name, now) {
      const id = randomBytes(12).toString("base64url");
      const exp = String(now + DEVICE_MS);
      return `${id}.${exp}.${mac(name, id, exp).toString("base64url")}`;
    },
    verify(value, name, now) {
      const [id, exp, sig, extra] = (value ?? "").split(".");
      if (!id || !exp || !sig || extra !== undefined || !/^\d{1,16}$/.test(exp) || Number(exp) < now) return undefined;
      const given = Buffer.from(sig, "base64url");
      const expected = mac(name, id, exp);
      return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
    },
  };
}
