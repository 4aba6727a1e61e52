import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../domain/logger.js";
import type { GitHubOAuth } from "./github-oauth.js";
import { html } from "../util/html.js";
import { renderLayout } from "./render-layout.js";
import type { Session } from "./session-codec.js";
import type { Viewer } from "./viewer.js";
import { checkPassword, userStamp } from "./web-users.js";
import type { SignInAttempt, SignInLimiter } from "./create-sign-in-limiter.js";
import { DEVICE_COOKIE, DEVICE_MS, type DeviceCookies } from "./device-cookies.js";
import { checkCsrf, newSession, parseCookies, readForm, redirect, safeReturnPath, sendHtml, sendNotFound, sendText, sessionCookie, type WebContext } from "./web-request.js";

export interface AuthRouteOptions extends WebContext {
  oauth?: GitHubOAuth;
  /** Bounds failed password sign-ins (createSignInLimiter). */
  signInLimiter: SignInLimiter;
  /** Browsers that signed in as a name before are limited on their own (createDeviceCookies). */
  devices: DeviceCookies;
  publicUrl: string;
  log: Logger;
}

interface AuthRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  session: Session;
  viewer: Viewer;
  cookie: Record<string, string>;
}

/**
 * Sign-in and sign-out. Local users post name and password (with the
 * session's CSRF token); GitHub users go through OAuth, where the `state`
 * sent to GitHub must come back unchanged and match the one sealed in this
 * browser's session cookie. A successful sign-in starts a new session (new
 * CSRF token): a token seen before signing in is worth nothing after.
 */
export async function handleAuthRoute(name: string, r: AuthRequest, options: AuthRouteOptions): Promise<void> {
  const redirectUri = `${options.publicUrl}/login/github/callback`;
  switch (name) {
    case "login-form":
      return sendHtml(r.res, 200, renderLoginPage(r, options, r.url.searchParams.get("error") ?? undefined), r.cookie);
    case "login": {
      const form = await readForm(r.req);
      if (!form || !checkCsrf(r.session, form.get("csrf") ?? undefined)) return sendText(r.res, 403, "Missing or wrong CSRF token: reload the sign-in page and try again\n");
      const name = form.get("name") ?? "";
      const attempt: SignInAttempt = {
        name,
        client: r.req.socket.remoteAddress ?? "?",
        device: options.devices.verify(parseCookies(r.req.headers.cookie)[DEVICE_COOKIE], name, options.now()),
      };
      const wait = await options.signInLimiter.blockedFor(attempt);
      if (wait > 0) {
        options.log.warn({ user: name.slice(0, 64) }, "dashboard sign-in refused: too many failed attempts");
        return sendHtml(r.res, 429, renderLoginPage(r, options, `Too many failed sign-ins: try again in ${Math.ceil(wait / 60)} min.`), { ...r.cookie, "retry-after": String(wait) });
      }
      const user = await checkPassword(options.users, name, form.get("password") ?? "");
      if (!user) {
        await options.signInLimiter.failed(attempt);
        return sendHtml(r.res, 401, renderLoginPage(r, options, "Wrong name or password."), r.cookie);
      }
      await options.signInLimiter.succeeded(attempt);
      options.log.info({ user: user.name }, "dashboard sign-in");
      const device = `${DEVICE_COOKIE}=${options.devices.issue(user.name, options.now())}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=${DEVICE_MS / 1000}${options.secureCookies ? "; Secure" : ""}`;
      r.res.setHeader("set-cookie", [sessionCookie(newSession({ kind: "local", name: user.name, role: user.role }, options, userStamp(user)), options), device]);
      return redirect(r.res, safeReturnPath(form.get("return")));
    }
    case "logout": {
      const form = await readForm(r.req);
      if (!form || !checkCsrf(r.session, form.get("csrf") ?? undefined)) return sendText(r.res, 403, "Missing or wrong CSRF token\n");
      // Revoked server-side: a copy of this cookie (a stolen one) opens no more either.
      if (r.session.sid) await options.revocations?.revoke(r.session.sid, r.session.exp, options.now());
      return redirect(r.res, "/", { "set-cookie": sessionCookie(undefined, options) });
    }
    case "github-start": {
      if (!options.oauth) return sendNotFound(r.res);
      const state = randomBytes(18).toString("base64url");
      const session: Session = { ...r.session, oauthState: state, returnTo: safeReturnPath(r.url.searchParams.get("return")) };
      r.res.writeHead(302, { location: options.oauth.authorizeUrl(state, redirectUri), "set-cookie": sessionCookie(session, options), "cache-control": "no-store" }).end();
      return;
    }
    case "github-callback": {
      if (!options.oauth) return sendNotFound(r.res);
      const state = r.url.searchParams.get("state");
      const code = r.url.searchParams.get("code");
      const expected = r.session.oauthState;
      if (!expected || !state || state !== expected || !code) {
        return sendText(r.res, 403, "Sign-in refused: the OAuth state does not match this browser's. Start again from the sign-in page.\n", { "set-cookie": sessionCookie({ ...r.session, oauthState: undefined }, options) });
      }
      let viewer: Viewer;
      try {
        const token = await options.oauth.exchangeCode(code, redirectUri);
        const login = await options.oauth.login(token);
        const listed = options.users.github.find((g) => g.login === login.toLowerCase());
        viewer = { kind: "github", login, token, role: listed?.role };
      } catch (error) {
        options.log.warn({ err: error }, "GitHub sign-in failed");
        return sendText(r.res, 502, "GitHub did not confirm the sign-in. Try again.\n");
      }
      options.log.info({ login: viewer.login }, "dashboard sign-in with GitHub");
      return redirect(r.res, safeReturnPath(r.session.returnTo), { "set-cookie": sessionCookie(newSession(viewer, options), options) });
    }
    default:
      return sendNotFound(r.res);
  }
}

function renderLoginPage(r: AuthRequest, options: AuthRouteOptions, error?: string): string {
  const back = safeReturnPath(r.url.searchParams.get("return"));
  const body = html`<h1>Sign in</h1>
<div class="login">
${error ? html`<p class="error">${error.slice(0, 200)}</p>` : ""}
${options.users.users.length > 0 ? html`<form method="post" action="/login">
<input type="hidden" name="csrf" value="${r.session.csrf}"><input type="hidden" name="return" value="${back}">
<label>Name <input name="name" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>` : ""}
${options.oauth ? html`<p><a class="button" href="/login/github?return=${encodeURIComponent(back)}">Sign in with GitHub</a></p>` : ""}
${options.users.users.length === 0 && !options.oauth ? html`<p class="muted">No sign-in is configured: set PONYCI_WEB_USERS or GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.</p>` : ""}
</div>`;
  return renderLayout({ title: "Sign in", viewer: r.viewer, csrf: r.session.csrf, body });
}
