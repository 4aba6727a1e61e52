"""Report `test` events from any unittest-based runner, and say that a runner ran.

Installed by sitecustomize.py (only when PONYCI_EVENTS is set). Django's
runner is instrumented in DiscoverRunner.run_suite (ponyci_django_hook.py),
but a runner that replaces run_suite (xmlrunner's XMLTestRunner, which
django-filter's runtests.py passes with --testrunner), a runtests.py that
drives unittest.TextTestRunner itself, or `python -m unittest` never reaches
it. So unittest.TestCase.run is wrapped: the result object a test is run
with, whatever its class, is instrumented once (instrument_result, the same
wrapping the Django hook uses, idempotent per result), so each test is
reported exactly once. Left alone: Django's parallel workers'
RemoteTestResult (their outcomes are replayed to the main process's result,
which is instrumented) and pytest's own items (the pytest plugin reports).

`mark_run(framework)` emits one `run` event per process and framework: the
host then knows the tests were readable even when none ran, and says
"counts unknown" only when no runner it can read ran at all.
"""

import sys
import unittest

from ponyci_events import emit

_marked = set()


def mark_run(framework):
    """Emit `{"event": "run", "framework": framework}` once per process."""
    if framework in _marked:
        return
    _marked.add(framework)
    try:
        emit({"event": "run", "framework": framework})
    except Exception as exc:  # reporting must never break the run
        sys.stderr.write("ponyci: could not report the runner: %r\n" % (exc,))


def _reportable(result):
    kind = type(result)
    if kind.__name__ == "RemoteTestResult":
        return False
    module = getattr(kind, "__module__", "") or ""
    return not (module.startswith("_pytest") or module.startswith("pytest"))


def install():
    case = unittest.case.TestCase
    original = case.run
    if getattr(original, "_ponyci_patched", False):
        return

    def run(self, result=None):
        if result is not None and not getattr(result, "_ponyci_instrumented", False) and _reportable(result):
            try:
                from ponyci_django_hook import instrument_result

                instrument_result(result)
                mark_run("unittest")
            except Exception as exc:
                sys.stderr.write("ponyci: could not instrument a unittest result: %r\n" % (exc,))
        return original(self, result)

    run._ponyci_patched = True
    run.__doc__ = original.__doc__
    case.run = run
