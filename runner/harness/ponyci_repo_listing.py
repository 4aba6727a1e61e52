"""A shallow listing of the repository, enough for ponyci_detect (the only I/O it needs)."""

import os

SKIPPED_DIRS = {"node_modules", "__pycache__", "site-packages", "venv", "env", "build", "dist", "htmlcov"}
MAX_DEPTH = 3
MAX_READ = 256 * 1024


def list_repo_files(root, max_depth=MAX_DEPTH):
    """Repository-relative posix paths of files at most `max_depth` directories deep.

    Hidden directories (.git, .venv, .tox) and vendored trees are skipped.
    """
    found = []
    root = os.path.abspath(root)
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        depth = 0 if rel == "." else rel.count(os.sep) + 1
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS and depth < max_depth)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.extend(prefix + name for name in sorted(files))
    return found


def make_reader(root):
    """read_text(path) -> the file's text (first 256 KB), or None when unreadable."""

    def read_text(path):
        try:
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as handle:
                return handle.read(MAX_READ)
        except OSError:
            return None

    return read_text
