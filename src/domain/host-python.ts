import { existsSync } from "node:fs";

/**
 * How the host's Python (and its pip) is run: the only place a repository's
 * requirements meet the host. Everything here comes from the operator's
 * settings, nothing from the repository or the server's own environment.
 */
export interface HostPython {
  /** Interpreter: "python3" (found on `path`) or an absolute path. */
  python: string;
  /** The operator's package index (PEP 503/691 simple API), ending in "/". */
  indexUrl: string;
  /** CA bundle for the index (an intercepting proxy's CA, say); default: the interpreter's own. */
  certFile?: string;
  /** PATH for the interpreter. */
  path?: string;
  /** HOME (pip's HTTP cache lives under it). */
  home?: string;
  /** HTTP(S)_PROXY / NO_PROXY the operator set, passed on as they are. */
  proxy?: Record<string, string>;
}

export const DEFAULT_INDEX_URL = "https://pypi.org/simple/";
/** PATH for a child that must find only the system's own tools. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** The same, for root-only tools run by the host (chown, find): no /usr/local. */
export const SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * The complete environment of a host Python child: no variable of the
 * server's own (no PRIVATE_KEY, no WEBHOOK_SECRET, no PIP_* or PYTHON*), and
 * PIP_CONFIG_FILE=/dev/null, which makes pip skip every configuration file,
 * the global one included (pip's configuration.py). Pass with `extendEnv: false`.
 */
export function hostPythonEnv(host: HostPython): Record<string, string> {
  return {
    PATH: host.path ?? DEFAULT_PATH,
    ...(host.home ? { HOME: host.home } : {}),
    LANG: "C.UTF-8",
    PIP_CONFIG_FILE: "/dev/null",
    PYTHONNOUSERSITE: "1",
    ...(host.proxy ?? {}),
  };
}

/** The system's CA bundle on Debian and Ubuntu (where an intercepting proxy's CA is installed). */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/**
 * Defaults: PyPI, python3 on the standard PATH, the system CA bundle when
 * there is one (pip's own bundle, certifi, knows no local CA).
 */
export function defaultHostPython(overrides: Partial<HostPython> = {}): HostPython {
  return { python: "python3", indexUrl: DEFAULT_INDEX_URL, certFile: existsSync(SYSTEM_CA_BUNDLE) ? SYSTEM_CA_BUNDLE : undefined, ...overrides };
}
