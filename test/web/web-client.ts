/**
 * A browser-like HTTP client for dashboard tests: keeps cookies, does not
 * follow redirects (tests look at them), and reads a page's CSRF token.
 */
export class WebClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(this.base + path, { redirect: "manual", headers: { ...headers, cookie: this.cookieHeader() } });
    this.keep(response);
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(this.base + path, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers, cookie: this.cookieHeader() },
      body: new URLSearchParams(form).toString(),
    });
    this.keep(response);
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  /** The CSRF token the page's forms carry. */
  static csrfOf(page: string): string {
    const match = /name="csrf" value="([^"]+)"/.exec(page);
    if (!match?.[1]) throw new Error("no CSRF token on the page");
    return match[1];
  }

  async signIn(name: string, password: string): Promise<void> {
    const form = await this.get("/login");
    const done = await this.post("/login", { csrf: WebClient.csrfOf(form.text), name, password });
    if (done.status !== 303) throw new Error(`sign-in failed: ${done.status} ${done.text}`);
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private keep(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ""] = header.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/i.test(header) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}
