import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Session, SessionCodec } from "./session-codec.js";
import { ANONYMOUS, type Viewer } from "./viewer.js";
import { checkToken, userStamp, type WebUsers } from "./web-users.js";
import type { SessionRevocations } from "./create-session-revocations.js";
import { readBodyWithin } from "../http/read-body-within.js";

export const SESSION_COOKIE = "ponyci_session";
const SESSION_MS = 7 * 24 * 3600 * 1000;
const MAX_FORM_BYTES = 16 * 1024;

export interface WebContext {
  sessions: SessionCodec;
  users: WebUsers;
  /** Secure cookies when the public URL is https. */
  secureCookies: boolean;
  now(): number;
  /** Sessions signed out server-side (/logout); default: none kept (only the browser's cookie is dropped). */
  revocations?: SessionRevocations;
}

/**
 * The request's session: the cookie's when it opens and still stands, else
 * a new anonymous one (not yet sent). A signed-in session stands while it is
 * not revoked and its user is still in the users file as they were (same
 * password entry); the role is the file's now, never the one the cookie
 * was made with.
 */
export function readSession(req: IncomingMessage, ctx: WebContext): { session: Session; fresh: boolean } {
  const cookie = parseCookies(req.headers.cookie)[SESSION_COOKIE];
  const opened = ctx.sessions.open(cookie, ctx.now());
  const session = opened ? current(opened, ctx) : undefined;
  if (session) return { session, fresh: false };
  return { session: { viewer: ANONYMOUS, csrf: randomBytes(18).toString("base64url"), exp: ctx.now() + SESSION_MS }, fresh: true };
}

function current(session: Session, ctx: WebContext): Session | undefined {
  const viewer = session.viewer;
  if (viewer.kind === "anonymous") return session;
  if (!session.sid || ctx.revocations?.isRevoked(session.sid)) return undefined;
  if (viewer.kind === "local") {
    const user = ctx.users.users.find((u) => u.name === viewer.name);
    if (!user || session.stamp !== userStamp(user)) return undefined;
    return { ...session, viewer: { ...viewer, role: user.role } };
  }
  const listed = ctx.users.github.find((g) => g.login === viewer.login.toLowerCase());
  return { ...session, viewer: { ...viewer, role: listed?.role } };
}

/** The viewer: an admin token (`Authorization: Bearer`) or the session's. */
export function readViewer(req: IncomingMessage, session: Session, ctx: WebContext): { viewer: Viewer; byToken: boolean } {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) {
    const entry = checkToken(ctx.users, auth.slice(7).trim());
    return entry ? { viewer: { kind: "local", name: entry.name, role: entry.role }, byToken: true } : { viewer: ANONYMOUS, byToken: false };
  }
  return { viewer: session.viewer, byToken: false };
}

/** Set-Cookie for the session: httpOnly, SameSite=Lax, Secure behind https. */
export function sessionCookie(session: Session | undefined, ctx: WebContext): string {
  const base = `${SESSION_COOKIE}=${session ? ctx.sessions.seal(session) : ""}; Path=/; HttpOnly; SameSite=Lax${ctx.secureCookies ? "; Secure" : ""}`;
  return session ? `${base}; Max-Age=${Math.floor((session.exp - ctx.now()) / 1000)}` : `${base}; Max-Age=0`;
}

/** A signed-in session: a new id (revocable) and CSRF token; `stamp` for a local user (userStamp). */
export function newSession(viewer: Viewer, ctx: WebContext, stamp?: string): Session {
  return { viewer, csrf: randomBytes(18).toString("base64url"), exp: ctx.now() + SESSION_MS, sid: randomBytes(18).toString("base64url"), ...(stamp ? { stamp } : {}) };
}

/** True when the form's token equals the session's (constant time). */
export function checkCsrf(session: Session, token: string | undefined): boolean {
  if (!token) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

/** An url-encoded form body, at most 16 KiB; undefined when larger or of another type. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim();
  if (type && type !== "application/x-www-form-urlencoded") return undefined;
  const body = await readBodyWithin(req, MAX_FORM_BYTES);
  return body === undefined ? undefined : new URLSearchParams(body.toString("utf8"));
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export function sendHtml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS, ...headers }).end(body);
}

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS, ...headers }).end(body);
}

/** Same answer for "no such build" and "not yours": nothing leaks. */
export function sendNotFound(res: ServerResponse): void {
  sendText(res, 404, "Not found\n");
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, "cache-control": "no-store", ...headers }).end();
}

/** A same-site path to return to after signing in; anything else becomes "/". */
export function safeReturnPath(value: string | null | undefined): string {
  return value && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : "/";
}
