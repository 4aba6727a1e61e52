"""Turn an uncaught exception that kills the test command into an `error` event.

Installed by sitecustomize.py when PONYCI_EVENTS is set. A crash is reported
by the first Python process of the test command (the "owner", recorded in
PONYCI_HOOK_OWNER so its children know they are not it) and by any process
that had imported Django or pytest; other helper processes that a test
starts and that crash on purpose stay silent.
"""

import os
import sys

from ponyci_events import emit_error_once
from ponyci_locate import error_fields


def install():
    """Chain an excepthook that reports the crash, then defers to the previous hook."""
    owner = not os.environ.get("PONYCI_HOOK_OWNER")
    if owner:
        os.environ["PONYCI_HOOK_OWNER"] = str(os.getpid())
    previous = sys.excepthook

    def report_crash(etype, value, tb):
        try:
            if should_report(etype, owner, sys.modules):
                if value is None:
                    value = etype()
                if value.__traceback__ is None and tb is not None:
                    value = value.with_traceback(tb)
                emit_error_once(value, dict({"event": "error"}, **error_fields(value)))
        except Exception as exc:
            sys.stderr.write("ponyci: could not report the crash: %r\n" % (exc,))
        previous(etype, value, tb)

    sys.excepthook = report_crash


def should_report(etype, owner, modules):
    """Whether an uncaught `etype` in this process is the test command's crash."""
    if etype is None or issubclass(etype, (KeyboardInterrupt, SystemExit)):
        return False
    return owner or "django" in modules or "_pytest" in modules
