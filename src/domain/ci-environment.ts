/**
 * The variables every test container starts with, as the CI services
 * projects are tested on give them (GitHub Actions' runners: a UTF-8
 * locale, UTC): a UTF-8 locale for file names, stdio and `open()`; UTC for
 * anything that is not Django (which sets TZ from TIME_ZONE itself); a temp
 * dir on the container's writable tmpfs. The project's own `env:` and tox
 * set_env override them; {@link containerFixedEnvironment} is set after
 * those (see run-cell's containerEnv).
 */
export const ciEnvironment: Readonly<Record<string, string>> = {
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  TZ: "UTC",
  TMPDIR: "/tmp",
};

/**
 * The variables a test container always has, set after the project's own
 * (`env:`, tox set_env) so it cannot change them: what `{env:X}` of a tox
 * setting sees too (plan-matrix).
 */
export const containerFixedEnvironment: Readonly<Record<string, string>> = {
  HOME: "/tmp",
  PONYCI: "1",
  CI: "true",
};
