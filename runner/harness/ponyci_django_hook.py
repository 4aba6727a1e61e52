"""Make Django's test runner report `test` events, however it was started.

Installed by sitecustomize.py (only when PONYCI_EVENTS is set): a meta-path
finder waits for `django.test.runner` to be imported, then patches
`DiscoverRunner` so every runner built on it (manage.py test, django-admin
test, python -m django test, runtests.py scripts using get_runner(settings) or
DiscoverRunner directly, subclasses that call super()) reports:
- run_suite: filters the suite by PONYCI_ONLY_TESTS, PONYCI_SHARD_TESTS and
  PONYCI_EXCLUDE_TESTS, moves the PONYCI_FIRST
  tests to the front of their group (never across Django's TestCase /
  TransactionTestCase / unittest boundaries), then wraps it so the result
  object unittest hands it (whatever its class) is instrumented;
- run_tests: an exception escaping it (system check errors, database set-up)
  becomes an `error` event;
- the test database's creation, when the runner keeps a migrated template
  (ponyci_db_template.py).
Unimportable test modules: unittest keeps only the text of the ImportError, so
unittest.loader._make_failed_import_test is wrapped to remember the original
exception, which gives the real file:line.
"""

import importlib.abc
import sys
import time
import types
import unittest

import ponyci_db_template
import ponyci_parallel
from ponyci_events import emit, emit_error_once
from ponyci_first_tests import first_tests_from_env, order_first_within_runs
from ponyci_locate import error_fields, locate_text_traceback
from ponyci_only_tests import FAILED_IMPORT_PREFIX, django_labels, django_test_selected, exclude_tests_from_env, only_tests_from_env, shard_tests_from_env
from ponyci_unittest_hook import mark_run

TARGET_MODULE = "django.test.runner"
_failed_imports = {}


def install():
    """Patch DiscoverRunner now if Django's runner is loaded, else as soon as it is imported."""
    module = sys.modules.get(TARGET_MODULE)
    if module is not None:
        patch_discover_runner(module)
    elif not any(isinstance(finder, _RunnerFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RunnerFinder())


class _PatchingLoader:
    """Delegates to the real loader, then patches the freshly executed module."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create else None

    def exec_module(self, module):
        self._loader.exec_module(module)
        try:
            patch_discover_runner(module)
        except Exception as exc:  # never break the project's tests
            sys.stderr.write("ponyci: could not instrument Django's test runner: %r\n" % (exc,))

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _RunnerFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != TARGET_MODULE:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


def patch_discover_runner(module):
    """Patch module.DiscoverRunner (idempotent)."""
    runner = getattr(module, "DiscoverRunner", None)
    if runner is None or getattr(runner, "_ponyci_patched", False):
        return
    original_run_suite = runner.run_suite
    original_run_tests = runner.run_tests
    original_init = runner.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        ponyci_parallel.apply_workers(self)

    def run_suite(self, suite, *args, **kwargs):
        mark_run("django")
        labels = django_labels(only_tests_from_env())
        if labels:
            filter_suite(suite, labels)
        shard = django_labels(shard_tests_from_env())
        if shard:
            filter_suite(suite, shard)
        excluded = django_labels(exclude_tests_from_env())
        if excluded:
            filter_suite(suite, excluded, keep=False)
        order = ponyci_parallel.order_from_env()
        if order and isinstance(getattr(suite, "subsuites", None), list):
            ponyci_parallel.order_subsuites(suite.subsuites, order, _group_of_item_for(tuple(getattr(self, "reorder_by", ()) or ())))
        first = django_labels(first_tests_from_env())
        if first:
            reorder_suite_first(suite, first, tuple(getattr(self, "reorder_by", ()) or ()))
        return original_run_suite(self, _ReportingSuite(suite), *args, **kwargs)

    def run_tests(self, *args, **kwargs):
        try:
            return original_run_tests(self, *args, **kwargs)
        except Exception as exc:
            emit_error_once(exc, dict({"event": "error"}, **error_fields(exc)))
            raise

    run_suite.__doc__ = original_run_suite.__doc__
    run_tests.__doc__ = original_run_tests.__doc__
    __init__.__doc__ = original_init.__doc__
    runner.__init__ = __init__
    runner.run_suite = run_suite
    runner.run_tests = run_tests
    try:
        ponyci_parallel.patch_remote_result(module)
    except Exception as exc:  # never break the project's tests
        sys.stderr.write("ponyci: parallel workers' durations not reported: %r\n" % (exc,))
    runner._ponyci_patched = True
    _remember_failed_imports()
    try:
        ponyci_db_template.install()
    except Exception as exc:  # never break the project's tests
        sys.stderr.write("ponyci: database template hook not installed: %r\n" % (exc,))


def _remember_failed_imports():
    loader = unittest.loader
    original = loader._make_failed_import_test
    if getattr(original, "_ponyci_patched", False):
        return

    def _make_failed_import_test(name, suiteClass):
        exc = sys.exc_info()[1]
        if exc is not None:
            _failed_imports[name] = exc
        return original(name, suiteClass)

    _make_failed_import_test._ponyci_patched = True
    loader._make_failed_import_test = _make_failed_import_test


def filter_suite(suite, labels, keep=True):
    """Drop, in place, every test of `suite` that `labels` do not select (keep=False: every test they select)."""
    subsuites = getattr(suite, "subsuites", None)  # django ParallelTestSuite
    if isinstance(subsuites, list):
        for subsuite in subsuites:
            filter_suite(subsuite, labels, keep)
        subsuites[:] = [s for s in subsuites if s.countTestCases()]
        return
    tests = getattr(suite, "_tests", None)
    if tests is None:
        return
    kept = []
    for test in tests:
        if isinstance(test, unittest.TestSuite):
            filter_suite(test, labels, keep)
            if test.countTestCases():
                kept.append(test)
        elif django_test_selected(test.id(), labels) == keep:
            kept.append(test)
    tests[:] = kept


def _group_of_item_for(reorder_by):
    """The index of a test's (or a subsuite's first test's) kind in Django's reorder_by."""

    def group_of_item(item):
        tests = list(_iter_tests(item)) if isinstance(item, unittest.TestSuite) else [item]
        if not tests:
            return len(reorder_by)
        for index, kind in enumerate(reorder_by):
            if isinstance(tests[0], kind):
                return index
        return len(reorder_by)

    return group_of_item


def reorder_suite_first(suite, labels, reorder_by):
    """Move, in place, the tests `labels` select to the front of their run of same-kind tests."""

    def group_of(test):
        for index, kind in enumerate(reorder_by):
            if isinstance(test, kind):
                return index
        return len(reorder_by)

    def selected(test):
        if isinstance(test, unittest.TestSuite):
            return any(django_test_selected(t.id(), labels) for t in _iter_tests(test))
        return django_test_selected(test.id(), labels)

    def group_of_item(item):
        if isinstance(item, unittest.TestSuite):
            tests = list(_iter_tests(item))
            return group_of(tests[0]) if tests else len(reorder_by)
        return group_of(item)

    subsuites = getattr(suite, "subsuites", None)  # django ParallelTestSuite: one subsuite per class
    if isinstance(subsuites, list):
        subsuites[:] = order_first_within_runs(subsuites, group_of_item, selected)
        return
    tests = getattr(suite, "_tests", None)
    if tests is None:
        return
    for test in tests:
        if isinstance(test, unittest.TestSuite):
            reorder_suite_first(test, labels, reorder_by)
    tests[:] = order_first_within_runs(tests, group_of_item, selected)


def _iter_tests(suite):
    for test in getattr(suite, "_tests", ()):
        if isinstance(test, unittest.TestSuite):
            yield from _iter_tests(test)
        else:
            yield test


class _ReportingSuite:
    """Stands in for the suite; instruments the result it is run with."""

    def __init__(self, suite):
        self._suite = suite

    def __call__(self, result, *args, **kwargs):
        instrument_result(result)
        return self._suite(result, *args, **kwargs)

    def __iter__(self):
        return iter(self._suite)

    def __getattr__(self, name):
        return getattr(self._suite, name)


def test_id(test):
    """Event id of a test; subtests are "<test id> [<message>, <k>=<v>, ...]"."""
    parent = getattr(test, "test_case", None)
    if parent is not None and hasattr(test, "params"):
        parts = []
        message = getattr(test, "_message", None)
        if message is not None and message is not getattr(unittest.case, "_subtest_msg_sentinel", None):
            parts.append(str(message))
        params = getattr(test, "params", None) or {}
        if params:
            parts.append(", ".join("%s=%r" % (key, value) for key, value in params.items()))
        return "%s [%s]" % (parent.id(), ", ".join(parts) or "<subtest>")
    return test.id()


def instrument_result(result):
    """Wrap the add*/startTest methods of this result instance so each outcome emits a `test` event."""
    if getattr(result, "_ponyci_instrumented", False):
        return
    result._ponyci_instrumented = True
    started = {}
    remote = {}

    def on_remote_duration(test, elapsed):
        # A parallel worker's own measure of the test (ponyci_parallel.py): the replay here takes no time.
        if isinstance(elapsed, (int, float)):
            remote[id(test)] = float(elapsed)

    result.ponyciDuration = on_remote_duration

    def duration(test):
        key = id(getattr(test, "test_case", test))
        if key in remote:
            return round(remote[key], 6)
        begin = started.get(key)
        return round(time.perf_counter() - begin, 6) if begin is not None else 0.0

    def report(test, outcome, err=None, message=None, owner=None):
        event = {"event": "test", "id": test_id(test), "outcome": outcome, "duration": duration(test)}
        if err is not None:
            event.update(_err_fields(result, owner or test, err))
            if outcome not in ("failed", "error"):
                event.pop("path", None)
                event.pop("line", None)
                event.pop("traceback", None)
        if message is not None:
            event["message"] = message
        emit(event)

    def on_start(test):
        started[id(test)] = time.perf_counter()

    def on_sub_test(test, subtest, err):
        if err is None:
            return
        failed = isinstance(err[0], type) and issubclass(err[0], getattr(test, "failureException", AssertionError))
        report(subtest, "failed" if failed else "error", err, owner=test)

    handlers = {
        "startTest": on_start,
        "addSuccess": lambda test: report(test, "passed"),
        "addFailure": lambda test, err: report(test, "failed", err),
        "addError": lambda test, err: report(test, "error", err),
        "addSkip": lambda test, reason: report(test, "skipped", message=str(reason)),
        "addExpectedFailure": lambda test, err: report(test, "xfail", err),
        "addUnexpectedSuccess": lambda test: report(test, "xpass"),
        "addSubTest": on_sub_test,
    }
    for name, handler in handlers.items():
        original = getattr(result, name, None)
        if original is not None:
            setattr(result, name, _wrap(handler, original))


def _wrap(handler, original):
    def wrapper(*args, **kwargs):
        try:
            handler(*args, **kwargs)
        except Exception as exc:  # reporting must never break the run
            sys.stderr.write("ponyci: could not report a test result: %r\n" % (exc,))
        return original(*args, **kwargs)

    return wrapper


def _err_fields(result, test, err):
    """message/traceback/path/line for an exc_info triple reported by unittest."""
    if isinstance(test, unittest.loader._FailedTest):
        name = test.id()[len(FAILED_IMPORT_PREFIX):] if test.id().startswith(FAILED_IMPORT_PREFIX) else ""
        original = _failed_imports.get(name) or _failed_imports.get(getattr(test, "_testMethodName", ""))
        if original is not None:
            return error_fields(original)
        return locate_text_traceback(str(err[1]))
    value = err[1]
    if value is None:
        value = err[0]()
    if value.__traceback__ is None and isinstance(err[2], types.TracebackType):
        value = value.with_traceback(err[2])
    fields = error_fields(value)
    to_text = getattr(result, "_exc_info_to_string", None)
    if to_text is not None:
        try:
            fields["traceback"] = to_text(err, test)
        except Exception:
            pass
    return fields
