"""Find where in the repository an exception happened.

Contract: a location is (path, line) with `path` relative to PONYCI_REPO_ROOT
(forward slashes) and `line` 1-based, or None. A frame counts only when its
file lies under the repository root and not in site-packages/dist-packages, a
virtualenv inside the repository, or the harness itself. The location is the
DEEPEST such frame (where the failure happened), except:
- a SyntaxError points at the offending file/line itself;
- an INSTALLED_APPS entry Django cannot import points at that entry in the
  settings module (the traceback only shows Django internals and manage.py);
- an exception with no repository frame falls back to its cause/context
  (pytest and unittest re-raise import errors from their own code).
"""

import os
import re
import sys
import traceback

_HARNESS_DIR = os.path.dirname(os.path.realpath(__file__))
_VENDOR_PARTS = ("site-packages", "dist-packages")


def repo_root():
    """The repository root: PONYCI_REPO_ROOT, else the working directory."""
    return os.path.realpath(os.environ.get("PONYCI_REPO_ROOT") or os.getcwd())


def _is_under(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def repo_relative(filename, root=None):
    """`filename` relative to the repository root (posix), or None when it is not the repository's own file."""
    if not filename or filename.startswith("<"):
        return None
    root = root or repo_root()
    real = os.path.realpath(os.path.abspath(filename))
    if not _is_under(real, root) or _is_under(real, _HARNESS_DIR):
        return None
    for prefix in {sys.prefix, sys.exec_prefix, sys.base_prefix}:
        real_prefix = os.path.realpath(prefix)
        if real_prefix != root and _is_under(real_prefix, root) and _is_under(real, real_prefix):
            return None
    rel = os.path.relpath(real, root).replace(os.sep, "/")
    if any(part in _VENDOR_PARTS for part in rel.split("/")):
        return None
    return rel


def _chain(exc):
    """exc, then the exception it was raised from (or during), and so on, without cycles."""
    seen = []
    while exc is not None and not any(exc is s for s in seen):
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _deepest_repo_frame(tb, root):
    found = None
    for frame in traceback.extract_tb(tb):
        rel = repo_relative(frame.filename, root)
        if rel is not None and frame.lineno:
            found = (rel, frame.lineno)
    return found


def _installed_app_entry(tb):
    """The INSTALLED_APPS entry Django was importing when `tb` was raised, if any."""
    suffix = os.path.join("django", "apps", "config.py")
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(suffix) and code.co_name == "create":
            entry = tb.tb_frame.f_locals.get("entry")
            if isinstance(entry, str):
                return entry
        tb = tb.tb_next
    return None


def _settings_line(needle, root):
    """(path, line) of the first line of the settings module quoting `needle`."""
    name = os.environ.get("DJANGO_SETTINGS_MODULE")
    module = sys.modules.get(name) if name else None
    filename = getattr(module, "__file__", None)
    rel = repo_relative(filename, root) if filename else None
    if rel is None:
        return None
    try:
        with open(filename, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if ("'%s'" % needle) in text or ('"%s"' % needle) in text:
                    return (rel, number)
    except OSError:
        return None
    return None


def locate_exception(exc, root=None):
    """(path, line) in the repository where `exc` happened, or None (see module doc)."""
    if exc is None:
        return None
    root = root or repo_root()
    for link in _chain(exc):
        entry = _installed_app_entry(link.__traceback__)
        if entry:
            found = _settings_line(entry, root)
            if found:
                return found
        if isinstance(link, SyntaxError) and link.filename and link.lineno:
            rel = repo_relative(link.filename, root)
            if rel is not None:
                return (rel, link.lineno)
        found = _deepest_repo_frame(link.__traceback__, root)
        if found:
            return found
    return None


def describe_exception(exc):
    """One-line-ish summary: "AssertionError: 1 != 2"; SyntaxErrors without the source excerpt."""
    if isinstance(exc, SyntaxError):
        return "%s: %s" % (type(exc).__name__, exc.msg)
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def format_exception(exc):
    """The full traceback text of `exc`, chained exceptions included."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def error_fields(exc, root=None):
    """message/traceback/path/line fields describing `exc`, for `test` and `error` events."""
    fields = {"message": describe_exception(exc), "traceback": format_exception(exc)}
    where = locate_exception(exc, root)
    if where:
        fields["path"], fields["line"] = where
    return fields


_TEXT_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)', re.M)


def locate_text_traceback(text, root=None):
    """Fields for an error known only as traceback text (unittest keeps import failures that way).

    The message is the last line; the location is the last repository frame
    the text names (for a SyntaxError that is the offending line itself).
    """
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    fields = {"message": lines[-1] if lines else text, "traceback": text}
    for match in _TEXT_FRAME.finditer(text):
        rel = repo_relative(match.group("file"), root)
        if rel is not None:
            fields["path"], fields["line"] = rel, int(match.group("line"))
    return fields
