/**
 * The variables every test container starts with, as the CI services
 * projects are tested on give them (GitHub Actions' runners: a UTF-8
 * locale, UTC): a UTF-8 locale for file names, stdio and `open()`; UTC for
 * anything that is not Django (which sets TZ from TIME_ZONE itself); a temp
 * dir on the container's writable tmpfs. The project's own `env:` and tox
 * set_env override them; HOME and CI=true are set after those (see
 * run-cell's containerEnv).
 */
export const ciEnvironment: Readonly<Record<string, string>> = {
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  TZ: "UTC",
  TMPDIR: "/tmp",
};
