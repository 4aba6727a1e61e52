import { isAbsolute } from "node:path";
import { CheckoutError } from "./checkout-error.js";

export type RepoUrlKind = "https" | "http" | "ssh" | "scp" | "file" | "path";

export interface ParsedRepoUrl {
  kind: RepoUrlKind;
  /** The url as given, for git's command line. */
  url: string;
  /** The url with any password removed: safe for logs, errors and disk. */
  display: string;
  /** `https://host[:port]` for https urls: where a token may go (never over plain http). */
  httpsOrigin?: string;
}

/**
 * Classifies a repository url and refuses anything else (`ext::`, `fd::`, a
 * leading dash that git would read as an option, relative paths).
 * @throws CheckoutError `invalid-request`
 */
export function parseRepoUrl(url: string): ParsedRepoUrl {
  const bad = (why: string) => new CheckoutError("invalid-request", `unsupported repository url ${JSON.stringify(redactUrl(url))}: ${why}`);
  if (url.length === 0 || url.startsWith("-") || /[\0\n\r]/.test(url)) throw bad("empty, starting with '-' or holding control characters");
  if (isAbsolute(url) && !url.includes("://")) return { kind: "path", url, display: url };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== "https" && scheme !== "http" && scheme !== "ssh" && scheme !== "file") {
      throw bad("use https://, ssh://, file://, git@host:path or an absolute path");
    }
    const display = redactUrl(url);
    if (scheme === "https" || scheme === "http") {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch (error) {
        throw new CheckoutError("invalid-request", `unsupported repository url ${JSON.stringify(display)}: not a valid URL`, { cause: error });
      }
      return scheme === "https" ? { kind: scheme, url, display, httpsOrigin: `https://${parsed.host}` } : { kind: scheme, url, display };
    }
    return { kind: scheme, url, display };
  }
  // scp-like syntax: [user@]host:path, where host has no slash before the colon.
  if (/^(?:[^@/\s:]+@)?[^@/\s:]+:[^\s]/.test(url) && !url.includes("::")) return { kind: "scp", url, display: url };
  throw bad("use https://, ssh://, file://, git@host:path or an absolute path");
}

/** The url with the password of `scheme://user:password@host` replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, "$1:***@");
}

/**
 * A url a runner may fetch for a job from Redis: https, ssh or git@host:path.
 * Never a local path or file:// (it would read the host's own repositories),
 * nor plain http (a token would travel in clear).
 */
export function isNetworkRepoUrl(url: string): boolean {
  try {
    const kind = parseRepoUrl(url).kind;
    return kind === "https" || kind === "ssh" || kind === "scp";
  } catch {
    return false;
  }
}

/** Network urls, plus exactly these (the operator's: the bridge's repositories, PONYCI_RUNNER_REPO_URLS): nothing else of the host. */
export function allowRepoUrls(urls: readonly string[]): (url: string) => boolean {
  const configured = new Set(urls);
  return (url) => configured.has(url) || isNetworkRepoUrl(url);
}
