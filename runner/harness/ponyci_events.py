"""Append Pony CI events to the file named by PONYCI_EVENTS (JSON lines).

Contract: one JSON object per line, written with a single O_APPEND write so
lines from several processes (forked test workers) never interleave. Events
never go to stdout/stderr. `message` is bounded to 4 KB and `traceback` to
16 KB (UTF-8 bytes), with a visible truncation marker.
Stdlib only; runs on Python 3.9+.
"""

import json
import os

MESSAGE_LIMIT = 4 * 1024
TRACEBACK_LIMIT = 16 * 1024


def bound_text(text, limit, keep_tail=False):
    """Return `text` cut to at most `limit` UTF-8 bytes, with a marker saying so.

    keep_tail keeps the start and the end (the end of a traceback names the
    exception); otherwise only the start is kept.
    """
    if text is None:
        return None
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    marker = "\n[ponyci: truncated %d bytes]\n" % (len(data) - limit)
    room = max(limit - len(marker.encode("utf-8")) - 16, 0)
    if keep_tail:
        head = data[: room // 4].decode("utf-8", "ignore")
        tail = data[len(data) - (room - room // 4):].decode("utf-8", "ignore")
        return head + marker + tail
    return data[:room].decode("utf-8", "ignore") + marker


def bound_event(event):
    """Return a copy of `event` with message and traceback bounded."""
    bounded = dict(event)
    if bounded.get("message") is not None:
        bounded["message"] = bound_text(str(bounded["message"]), MESSAGE_LIMIT)
    if bounded.get("traceback") is not None:
        bounded["traceback"] = bound_text(str(bounded["traceback"]), TRACEBACK_LIMIT, keep_tail=True)
    return bounded


def events_path():
    """The events file, or None when the harness is not active."""
    return os.environ.get("PONYCI_EVENTS") or None


def emit(event, path=None):
    """Append one event (dict) as a JSON line; returns False when no events file is configured."""
    target = path or events_path()
    if not target:
        return False
    line = json.dumps(bound_event(event), ensure_ascii=False, default=str) + "\n"
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    return True


_reported_errors = []


def was_reported(exc):
    """True when an `error` event was already emitted for `exc` (or an exception it wraps)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if any(done is exc for done in _reported_errors):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def emit_error_once(exc, event):
    """Emit an `error` event for `exc` unless one was already emitted for it in this process."""
    if was_reported(exc):
        return False
    _reported_errors.append(exc)
    return emit(event)
