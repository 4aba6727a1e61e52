"""pytest plugin: one `test` event per test item (plus collection errors).

Loaded through PYTEST_PLUGINS=ponyci_pytest_plugin (the harness directory is
on PYTHONPATH), so it also reports when the repository's own command runs
pytest. Per item, setup/call/teardown reports are merged into one event,
emitted after teardown: a failing setup or teardown is `error`, a failing
call is `failed`, xfail/xpass come from pytest's `wasxfail`, a strict XPASS
is `failed`. A failing subtest is its own `failed` event "<node id> [<params>]".
A module that cannot be collected is an `error` test whose id is the module's
node id; a crash while loading conftest.py/settings or collecting is an
`error` event. Under pytest-xdist only the controller emits. With
PONYCI_WORKERS the suite is split over forked workers that emit their own
tests (ponyci_pytest_split.py).
"""

import pytest

from ponyci_events import emit, emit_error_once
from ponyci_locate import describe_exception, error_fields, locate_exception, repo_relative
import ponyci_only_tests as only  # module import: pluggy treats pytest_* names as hooks
import ponyci_first_tests as first
import ponyci_pytest_split as split

_state = {"config": None, "items": {}}


def _is_xdist_worker():
    config = _state["config"]
    return config is not None and hasattr(config, "workerinput") and not split.is_split_worker(config)


def _root_cause(exc):
    """The innermost explicitly chained exception (pytest wraps import errors in its own)."""
    exc = getattr(exc, "cause", None) or exc
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _emit_crash(exc):
    fields = error_fields(exc)
    fields["message"] = describe_exception(_root_cause(exc))
    emit_error_once(exc, dict({"event": "error"}, **fields))


@pytest.hookimpl(hookwrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    outcome = yield
    if outcome.excinfo is not None and isinstance(outcome.excinfo[1], Exception):
        _emit_crash(outcome.excinfo[1])


def pytest_configure(config):
    _state["config"] = config


def pytest_sessionstart(session):
    from ponyci_unittest_hook import mark_run

    mark_run("pytest")
    # pytest-django creates the test database through Django's create_test_db too: the runner's template applies.
    import sys

    if "django" in sys.modules and not _is_xdist_worker():
        try:
            import ponyci_db_template

            ponyci_db_template.install()
        except Exception as exc:  # never break the project's tests
            sys.stderr.write("ponyci: database template hook not installed: %r\n" % (exc,))


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    outcome = yield
    exc = outcome.excinfo[1] if outcome.excinfo is not None else None
    if isinstance(exc, Exception) and type(exc).__name__ != "Exit":
        _emit_crash(exc)


def pytest_runtestloop(session):
    return split.runtestloop(session)


def pytest_internalerror(excrepr, excinfo):
    if excinfo is not None and isinstance(excinfo.value, Exception):
        _emit_crash(excinfo.value)


def pytest_collection_modifyitems(session, config, items):
    wanted = only.pytest_node_ids(only.only_tests_from_env())
    if wanted:
        selected = [item for item in items if only.pytest_item_selected(item.nodeid, wanted)]
        deselected = [item for item in items if not only.pytest_item_selected(item.nodeid, wanted)]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = selected
    # A shard of the cell (issue 28): PONYCI_SHARD_TESTS are its tests, PONYCI_EXCLUDE_TESTS other shards'.
    shard = only.pytest_node_ids(only.shard_tests_from_env())
    if shard:
        dropped = [item for item in items if not only.pytest_item_selected(item.nodeid, shard)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if only.pytest_item_selected(item.nodeid, shard)]
    excluded = only.pytest_node_ids(only.exclude_tests_from_env())
    if excluded:
        dropped = [item for item in items if only.pytest_item_selected(item.nodeid, excluded)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if not only.pytest_item_selected(item.nodeid, excluded)]
    # PONYCI_FIRST: the tests that failed last time run first; the same items run.
    ahead = only.pytest_node_ids(first.first_tests_from_env())
    if ahead:
        items[:] = first.order_first(items, lambda item: only.pytest_item_selected(item.nodeid, ahead))


def _attach_failure(report, excinfo):
    """Record message and location on the report; plain attributes survive xdist serialisation."""
    if excinfo is None or not report.failed:
        return
    exc = excinfo.value
    report.ponyci_message = describe_exception(_root_cause(exc))
    where = locate_exception(exc)
    if where:
        report.ponyci_path, report.ponyci_line = where


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _attach_failure(outcome.get_result(), call.excinfo)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    call = report.__dict__.get("call")
    _attach_failure(report, getattr(call, "excinfo", None))


def _failure_fields(report):
    fields = {"traceback": report.longreprtext}
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(report, "ponyci_message", None) or getattr(crash, "message", None)
    fields["message"] = message or (report.longreprtext.strip().splitlines() or [""])[-1]
    path, line = getattr(report, "ponyci_path", None), getattr(report, "ponyci_line", None)
    if path is None and crash is not None:
        path, line = repo_relative(str(crash.path)), crash.lineno
    if path is not None and line:
        fields["path"], fields["line"] = path, line
    return fields


def _skip_reason(report):
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        reason = str(report.longrepr[2])
        return reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
    return report.longreprtext


def _phase_outcome(report):
    """(outcome, fields) of one setup/call/teardown report; outcome None means "no verdict yet"."""
    xfail = hasattr(report, "wasxfail")
    if report.skipped:
        if xfail:
            return "xfail", {"message": report.wasxfail}
        return "skipped", {"message": _skip_reason(report)}
    if report.failed:
        return ("failed" if report.when == "call" else "error"), _failure_fields(report)
    if report.when == "call":
        return ("xpass" if xfail else "passed"), ({"message": report.wasxfail} if xfail else {})
    return None, {}


def _subtest_id(report):
    context = report.context
    parts = []
    if getattr(context, "msg", None) is not None:
        parts.append(str(context.msg))
    kwargs = getattr(context, "kwargs", None) or {}
    if kwargs:
        parts.append(", ".join("%s=%s" % (key, value) for key, value in kwargs.items()))
    return "%s [%s]" % (report.nodeid, ", ".join(parts) or "<subtest>")


def _emit_test(test_id, outcome, duration, fields):
    event = {"event": "test", "id": test_id, "outcome": outcome, "duration": round(duration, 6)}
    event.update({k: v for k, v in fields.items() if v is not None})
    emit(event)


def pytest_runtest_logreport(report):
    if _is_xdist_worker():
        return
    if hasattr(report, "context"):  # a subtest (pytest >= 9, pytest-subtests)
        if report.failed or report.skipped:
            outcome, fields = _phase_outcome(report)
            _emit_test(_subtest_id(report), outcome, report.duration or 0.0, fields)
        return
    state = _state["items"].setdefault(report.nodeid, {"outcome": None, "fields": {}, "duration": 0.0})
    state["duration"] += report.duration or 0.0
    outcome, fields = _phase_outcome(report)
    if outcome is not None and (state["outcome"] in (None, "passed", "xpass") or report.when != "teardown"):
        state["outcome"], state["fields"] = outcome, fields
    if report.when == "teardown":
        del _state["items"][report.nodeid]
        if state["outcome"] is not None:
            _emit_test(report.nodeid, state["outcome"], state["duration"], state["fields"])


def pytest_collectreport(report):
    if _is_xdist_worker() or not (report.failed or report.skipped):
        return
    if report.failed and not report.nodeid:
        emit({"event": "error", "message": getattr(report, "ponyci_message", None) or report.longreprtext,
              "traceback": report.longreprtext})
        return
    if report.failed:
        _emit_test(report.nodeid, "error", getattr(report, "duration", 0.0) or 0.0, _failure_fields(report))
    else:
        _emit_test(report.nodeid, "skipped", getattr(report, "duration", 0.0) or 0.0, {"message": _skip_reason(report)})
