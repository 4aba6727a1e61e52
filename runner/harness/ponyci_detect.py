"""Decide which command runs a repository's tests (pure: no file system access).

Order, first match wins:
1. PONYCI_TEST_COMMAND           -> sh -c "<command>"          runner "command"
2. manage.py at the root          -> python manage.py test      runner "django"
3. runtests.py at the root        -> python runtests.py         runner "django"
4. pytest importable and configured (pytest.ini, .pytest.ini, conftest.py,
   [tool.pytest.ini_options] / [tool.pytest] in pyproject.toml,
   [tool:pytest] in setup.cfg, [pytest] in tox.ini)
                                  -> python -m pytest           runner "pytest"
5. otherwise                      -> python -m django test      runner "django"
   with DJANGO_SETTINGS_MODULE from the environment, else the first settings
   module found (see SETTINGS_CANDIDATES), else none (Django then says so).
Re-runs (PONYCI_ONLY_TESTS) append Django labels / pytest node ids where the
command's arguments are known (2, 4, 5); runtests.py and custom commands are
filtered inside the test runner by the harness hooks instead.
"""

import json
import re
from collections import namedtuple

from ponyci_only_tests import django_labels, pytest_node_ids

Detection = namedtuple("Detection", ["runner", "argv", "env", "reason"])
Detection.__doc__ = """runner: "django" | "pytest" | "command"; argv: list of str; env: extra
environment for the command; reason: one sentence saying what was found."""

# (pattern, rank): lower rank wins; within a rank, files defining INSTALLED_APPS, then by path.
SETTINGS_CANDIDATES = (
    (re.compile(r"^test_settings\.py$"), 0),
    (re.compile(r"^tests?/settings\.py$"), 1),
    (re.compile(r"^tests?/test_settings\.py$"), 1),
    (re.compile(r"^[^/]+/test_settings\.py$"), 2),
    (re.compile(r"^[^/]+/settings\.py$"), 3),
    (re.compile(r"^[^/]+/settings/(test|tests|testing)\.py$"), 4),
    (re.compile(r"^[^/]+/settings/__init__\.py$"), 5),
    (re.compile(r"^settings\.py$"), 6),
)

_PYTEST_SECTIONS = (
    ("pyproject.toml", re.compile(r"^\s*\[tool\.pytest(\.ini_options)?\]", re.M)),
    ("setup.cfg", re.compile(r"^\s*\[tool:pytest\]", re.M)),
    ("tox.ini", re.compile(r"^\s*\[pytest\]", re.M)),
)


def configures_pytest(paths, read_text):
    """The file that makes this a pytest project, or None.

    paths: repository-relative posix paths; read_text(path) -> str or None.
    """
    present = set(paths)
    for name in ("pytest.ini", ".pytest.ini", "conftest.py"):
        if name in present:
            return name
    for name, section in _PYTEST_SECTIONS:
        if name in present and section.search(read_text(name) or ""):
            return name
    conftests = sorted(p for p in present if p.endswith("/conftest.py") and p.count("/") == 1)
    return conftests[0] if conftests else None


def find_settings_module(paths, read_text):
    """The dotted name of the most likely Django settings module, or None."""
    found = []
    for path in paths:
        for pattern, rank in SETTINGS_CANDIDATES:
            if pattern.match(path):
                defines_apps = "INSTALLED_APPS" in (read_text(path) or "")
                found.append((rank, not defines_apps, path))
                break
    if not found:
        return None
    path = min(found)[2]
    module = path[: -len(".py")].replace("/", ".")
    return module[: -len(".__init__")] if module.endswith(".__init__") else module


def parse_posargs(raw):
    """PONYCI_POSARGS (`ponyci run -- ARGS`): a JSON array of strings; [] when unset or empty.

    Raises ValueError on anything else. The arguments are data: appended to
    the detected command's argv, never given to a shell.
    """
    if raw is None or not raw.strip():
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError("PONYCI_POSARGS must be a JSON array of arguments: %s" % exc)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('PONYCI_POSARGS must be a JSON array of strings, e.g. ["-k", "test_x"]')
    return value


def detect_command(paths, read_text, python, pytest_importable, test_command=None,
                   only_tests=(), environ_settings=None, posargs=()):
    """Decide the test command (see module doc), `posargs` appended to Django's or pytest's."""
    detection = _detect_command(paths, read_text, python, pytest_importable, test_command, only_tests, environ_settings)
    if posargs and detection.runner != "command":
        return detection._replace(argv=detection.argv + list(posargs))
    return detection


def _detect_command(paths, read_text, python, pytest_importable, test_command=None,
                    only_tests=(), environ_settings=None):
    """Decide the test command (see module doc).

    paths: repository-relative posix file paths (a shallow scan is enough);
    read_text(path) -> str or None; python: interpreter to run; only_tests:
    ids from PONYCI_ONLY_TESTS; environ_settings: DJANGO_SETTINGS_MODULE if set.
    """
    present = set(paths)
    if test_command and test_command.strip():
        return Detection("command", ["/bin/sh", "-c", test_command], {}, "PONYCI_TEST_COMMAND is set")
    labels = django_labels(only_tests)
    if "manage.py" in present:
        return Detection("django", [python, "manage.py", "test"] + labels, {}, "found manage.py")
    if "runtests.py" in present:
        return Detection("django", [python, "runtests.py"], {}, "found runtests.py")
    pytest_config = configures_pytest(paths, read_text) if pytest_importable else None
    if pytest_config:
        return Detection("pytest", [python, "-m", "pytest"] + pytest_node_ids(only_tests), {},
                         "pytest is installed and configured by %s" % pytest_config)
    argv = [python, "-m", "django", "test"] + labels
    if environ_settings:
        return Detection("django", argv, {}, "DJANGO_SETTINGS_MODULE=%s from the environment" % environ_settings)
    settings = find_settings_module(paths, read_text)
    if settings:
        return Detection("django", argv, {"DJANGO_SETTINGS_MODULE": settings},
                         "found settings module %s" % settings)
    return Detection("django", argv, {}, "no manage.py, runtests.py, pytest configuration or settings module found")
