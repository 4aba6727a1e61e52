"""Split one cell's Django suite across worker processes by recorded timings (issue 28).

Django's own --parallel is the mechanism: one subsuite per TestCase class (a
class never leaves its process), one test database clone per worker, and the
workers pull subsuites from a shared queue (multiprocessing's imap_unordered
dispatches them in list order). The runner adds two things:
- PONYCI_WORKERS: the number of worker processes when the project's command
  did not ask for a parallel run itself (DiscoverRunner.parallel <= 1);
- PONYCI_ORDER: JSON array of class labels ("app.tests.SlowTests"), longest
  first, from the cell's recorded durations: the subsuites are dispatched in
  that order (classes without a timing first: they may be long), never across
  Django's TestCase / TransactionTestCase / unittest groups.
A malformed value is ignored. Workers also send each test's own duration to
the parent (Django replays their results there, where a clock would measure
nothing), so the timings recorded for the next order are real.
Stdlib only.
"""

import json
import os
import time

DURATION_EVENT = "ponyciDuration"
MAX_WORKERS = 64
MAX_ORDER = 20000


def workers_from_env():
    """PONYCI_WORKERS as an int in 2..64, else None."""
    try:
        value = int(os.environ.get("PONYCI_WORKERS", ""))
    except ValueError:
        return None
    return value if 2 <= value <= MAX_WORKERS else None


def order_from_env():
    """PONYCI_ORDER as {label: rank}, or {} when absent or malformed."""
    raw = os.environ.get("PONYCI_ORDER")
    if not raw:
        return {}
    try:
        labels = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(labels, list):
        return {}
    return {label: rank for rank, label in enumerate(labels[:MAX_ORDER]) if isinstance(label, str)}


def apply_workers(runner):
    """Give a DiscoverRunner the runner's worker count unless the project chose one."""
    workers = workers_from_env()
    if workers and (getattr(runner, "parallel", 0) or 0) <= 1:
        runner.parallel = workers


def class_label(test_id):
    """The class a Django test id belongs to: "app.tests.C.test_x" -> "app.tests.C"."""
    return test_id.rsplit(".", 1)[0]


def order_subsuites(subsuites, order, group_of_item):
    """Sort, in place and stably, each run of same-group subsuites: unknown classes first, then by rank."""

    def rank(subsuite):
        first = next(iter(subsuite), None)
        if first is None:
            return -1
        return order.get(class_label(first.id()), -1)

    result = []
    run = []
    for subsuite in subsuites:
        if run and group_of_item(run[-1]) != group_of_item(subsuite):
            result.extend(sorted(run, key=rank))
            run = []
        run.append(subsuite)
    result.extend(sorted(run, key=rank))
    subsuites[:] = result


def patch_remote_result(module):
    """In workers: before each outcome event, a ponyciDuration event with the test's own elapsed time."""
    remote = getattr(module, "RemoteTestResult", None)
    if remote is None or getattr(remote, "_ponyci_patched", False):
        return
    original_start = remote.startTest

    def startTest(self, test):
        self._ponyci_started = time.perf_counter()
        return original_start(self, test)

    remote.startTest = startTest
    for name in ("addSuccess", "addFailure", "addError", "addSkip", "addExpectedFailure", "addUnexpectedSuccess"):
        original = getattr(remote, name, None)
        if original is not None:
            setattr(remote, name, _with_duration(original))
    remote._ponyci_patched = True


def _with_duration(original):
    def method(self, test, *args):
        started = getattr(self, "_ponyci_started", None)
        index = self.testsRun - 1
        if started is not None and index >= 0:
            self.events.append((DURATION_EVENT, index, round(time.perf_counter() - started, 6)))
        return original(self, test, *args)

    return method
