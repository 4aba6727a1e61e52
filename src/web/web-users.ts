import { createHash, scrypt, scryptSync, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Role } from "./viewer.js";

/**
 * The dashboard's users file (PONYCI_WEB_USERS, YAML; docs/dashboards.md):
 *
 *   users:                       # local users: sign in with name and password
 *     - name: alice
 *       password: scrypt:<salt>:<hash>     # `ponyci hash-password`
 *       role: operator           # viewer (default) or operator (may re-run and cancel)
 *   tokens:                      # admin tokens: `Authorization: Bearer <token>`
 *     - name: deploy-bot
 *       sha256: <hex sha-256 of the token>
 *       role: operator
 *   github:                      # GitHub users who may also see the bridge's private repositories
 *     - login: octocat
 *       role: viewer
 *
 * Local users and tokens see every build; GitHub users see public builds,
 * private GitHub repositories GitHub lets them read, and the bridge's
 * private repositories only when listed here.
 */
export interface WebUsers {
  users: Array<{ name: string; password: string; role: Role }>;
  tokens: Array<{ name: string; sha256: string; role: Role }>;
  github: Array<{ login: string; role: Role }>;
}

export const NO_WEB_USERS: WebUsers = { users: [], tokens: [], github: [] };

export class WebUsersError extends Error {
  override name = "WebUsersError";
}

/** Reads and strictly checks the users file; throws WebUsersError saying what to fix. */
export function loadWebUsers(file: string): WebUsers {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new WebUsersError(`PONYCI_WEB_USERS=${file} cannot be read (${(error as Error).message})`);
  }
  return parseWebUsers(text, file);
}

export function parseWebUsers(text: string, file = "the users file"): WebUsers {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 10 });
  } catch (error) {
    throw new WebUsersError(`${file} is not YAML: ${(error as Error).message}`);
  }
  const root = (doc ?? {}) as Record<string, unknown>;
  if (typeof root !== "object" || Array.isArray(root)) throw new WebUsersError(`${file}: expected a mapping with users, tokens and github`);
  for (const key of Object.keys(root)) if (!["users", "tokens", "github"].includes(key)) throw new WebUsersError(`${file}: unknown key "${key}" (expected users, tokens, github)`);
  const list = (key: string) => {
    const value = root[key] ?? [];
    if (!Array.isArray(value)) throw new WebUsersError(`${file}: ${key} must be a list`);
    return value.map((entry, i) => {
      if (!entry || typeof entry !== "object") throw new WebUsersError(`${file}: ${key}[${i}] must be a mapping`);
      return { entry: entry as Record<string, unknown>, where: `${file}: ${key}[${i}]` };
    });
  };
  const str = (entry: Record<string, unknown>, key: string, where: string, pattern?: RegExp): string => {
    const value = entry[key];
    if (typeof value !== "string" || value === "" || (pattern && !pattern.test(value))) throw new WebUsersError(`${where}: ${key} is missing or malformed`);
    return value;
  };
  const role = (entry: Record<string, unknown>, where: string): Role => {
    const value = entry.role ?? "viewer";
    if (value !== "viewer" && value !== "operator") throw new WebUsersError(`${where}: role must be viewer or operator`);
    return value;
  };
  return {
    users: list("users").map(({ entry, where }) => ({ name: str(entry, "name", where, /^[\w.@-]{1,64}$/), password: str(entry, "password", where, /^scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/), role: role(entry, where) })),
    tokens: list("tokens").map(({ entry, where }) => ({ name: str(entry, "name", where), sha256: str(entry, "sha256", where, /^[0-9a-f]{64}$/).toLowerCase(), role: role(entry, where) })),
    github: list("github").map(({ entry, where }) => ({ login: str(entry, "login", where, /^[A-Za-z0-9-]{1,39}$/).toLowerCase(), role: role(entry, where) })),
  };
}

/** "scrypt:<salt>:<hash>" of a password, for the users file. */
export function hashPassword(password: string, salt: Buffer): string {
  return `scrypt:${salt.toString("base64")}:${scryptSync(password, salt, 32).toString("base64")}`;
}

/** Hashed for a name nobody has: an unknown name costs the same scrypt as a known one, so timing does not tell which exist. */
const DUMMY_ENTRY = hashPassword("no such user", Buffer.from("ponyci-dummy-salt"));

/**
 * The user whose name and password match, compared in constant time. The
 * scrypt runs on libuv's thread pool (not the event loop), and runs for an
 * unknown name too (against a dummy hash).
 */
export async function checkPassword(users: WebUsers, name: string, password: string): Promise<WebUsers["users"][number] | undefined> {
  const user = users.users.find((u) => u.name === name);
  const [, salt = "", hash = ""] = (user?.password ?? DUMMY_ENTRY).split(":");
  const expected = Buffer.from(hash, "base64");
  const actual = await new Promise<Buffer>((resolve, reject) => scrypt(password, Buffer.from(salt, "base64"), expected.length || 32, (error, key) => (error ? reject(error) : resolve(key))));
  return user && expected.length === actual.length && timingSafeEqual(expected, actual) ? user : undefined;
}

/** Changes when the user's password entry changes: a session made before a password change opens no more. */
export function userStamp(user: WebUsers["users"][number]): string {
  return createHash("sha256").update(user.password).digest("base64url").slice(0, 22);
}

/** The admin token's entry, compared by its SHA-256 in constant time. */
export function checkToken(users: WebUsers, token: string): WebUsers["tokens"][number] | undefined {
  const digest = createHash("sha256").update(token).digest();
  return users.tokens.find((t) => timingSafeEqual(Buffer.from(t.sha256, "hex"), digest));
}
