import { Octokit } from "@octokit/rest";

export interface GitHubOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** Where users sign in: https://github.com, or https://<GHE_HOST>. */
  webUrl: string;
  /** REST API base: https://api.github.com, or GitHub Enterprise's. */
  apiUrl: string;
}

export interface RepoPermission {
  /** The user can read the repository. */
  pull: boolean;
  /** The user can write to it (GitHub's own re-run buttons need this). */
  push: boolean;
}

/**
 * GitHub's web application flow (docs.github.com "Authorizing OAuth apps"),
 * with the App's client id and secret: send the user to /login/oauth/authorize
 * with a random `state`, exchange the code for a user token, and ask the API,
 * as that user, who they are and what they may do in a repository.
 */
export interface GitHubOAuth {
  authorizeUrl(state: string, redirectUri: string): string;
  /** Exchanges the callback's code for a user access token; throws when GitHub refuses it. */
  exchangeCode(code: string, redirectUri: string): Promise<string>;
  login(token: string): Promise<string>;
  /** What the user may do in `owner/name`; no access at all when GitHub answers 404/403. */
  permission(token: string, repo: string): Promise<RepoPermission>;
}

export function createGitHubOAuth(options: GitHubOAuthOptions): GitHubOAuth {
  const client = (token: string) => new Octokit({ auth: token, baseUrl: options.apiUrl, request: { retries: 0 } });
  return {
    authorizeUrl(state, redirectUri) {
      const url = new URL("/login/oauth/authorize", options.webUrl);
      url.search = new URLSearchParams({ client_id: options.clientId, redirect_uri: redirectUri, state, allow_signup: "false" }).toString();
      return url.toString();
    },
    async exchangeCode(code, redirectUri) {
      const response = await fetch(new URL("/login/oauth/access_token", options.webUrl), {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify({ client_id: options.clientId, client_secret: options.clientSecret, code, redirect_uri: redirectUri }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
      if (!response.ok || typeof body.access_token !== "string") throw new Error(`GitHub refused the sign-in: ${body.error_description ?? body.error ?? response.status}`);
      return body.access_token;
    },
    async login(token) {
      const { data } = await client(token).request("GET /user");
      return data.login;
    },
    async permission(token, repo) {
      const [owner = "", name = ""] = repo.split("/");
      try {
        const { data } = await client(token).request("GET /repos/{owner}/{repo}", { owner, repo: name });
        return { pull: Boolean(data.permissions?.pull), push: Boolean(data.permissions?.push) };
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 404 || status === 403 || status === 401) return { pull: false, push: false };
        throw error;
      }
    },
  };
}
