"""PONYCI_ONLY_TESTS: which tests a re-run should run (pure helpers).

The variable holds a JSON array of test ids exactly as `test` events
reported them: Django ids ("polls.tests.QuestionTests.test_x"), pytest node
ids ("tests/test_a.py::test_x[1]"), subtest ids ("<id> [<params>]"), and the
ids Django gives unimportable modules ("unittest.loader._FailedTest.polls.tests").

Shards of a cell split across runners (issue 28) filter the suite without
adding labels to the command (a class renamed since its timing was recorded
selects nothing rather than failing the import):
- PONYCI_SHARD_TESTS, in the same form: the tests (classes, files) this
  shard runs;
- PONYCI_EXCLUDE_TESTS: the tests other shards run, for the shard that runs
  "everything not listed elsewhere", so a test never recorded still runs once.
"""

import json
import os

FAILED_IMPORT_PREFIX = "unittest.loader._FailedTest."


def parse_only_tests(raw):
    """The list of ids in `raw` (JSON array of strings); [] when unset or empty.

    Raises ValueError with a fix-it message on anything else.
    """
    if raw is None or not raw.strip():
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError("PONYCI_ONLY_TESTS must be a JSON array of test ids: %s" % exc)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('PONYCI_ONLY_TESTS must be a JSON array of strings, e.g. ["polls.tests.T.test_x"]')
    return [item for item in value if item.strip()]


def only_tests_from_env(environ=None):
    """parse_only_tests(PONYCI_ONLY_TESTS)."""
    return parse_only_tests((environ if environ is not None else os.environ).get("PONYCI_ONLY_TESTS"))


def _parse_named(name, environ):
    raw = (environ if environ is not None else os.environ).get(name)
    try:
        return parse_only_tests(raw)
    except ValueError as exc:
        raise ValueError(str(exc).replace("PONYCI_ONLY_TESTS", name))


def shard_tests_from_env(environ=None):
    """PONYCI_SHARD_TESTS parsed as parse_only_tests parses PONYCI_ONLY_TESTS."""
    return _parse_named("PONYCI_SHARD_TESTS", environ)


def exclude_tests_from_env(environ=None):
    """PONYCI_EXCLUDE_TESTS parsed as parse_only_tests parses PONYCI_ONLY_TESTS."""
    return _parse_named("PONYCI_EXCLUDE_TESTS", environ)


def strip_subtest(test_id):
    """"pkg.T.test_x [i=1]" -> "pkg.T.test_x" (subtest ids name their parent test)."""
    return test_id.split(" [", 1)[0].strip()


def django_label(test_id):
    """The `manage.py test` label that runs `test_id` again."""
    label = strip_subtest(test_id)
    if label.startswith(FAILED_IMPORT_PREFIX):
        return label[len(FAILED_IMPORT_PREFIX):]
    if label.endswith(")") and " (" in label:
        # class/module fixture errors: "setUpClass (polls.tests.QuestionTests)"
        return label[label.index(" (") + 2:-1]
    return label


def _unique(values):
    """Non-empty `values` without repeats, in first-seen order."""
    seen = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def django_labels(test_ids):
    """Unique Django labels for `test_ids`, in first-seen order."""
    return _unique(django_label(test_id) for test_id in test_ids)


def pytest_node_ids(test_ids):
    """Unique pytest node ids for `test_ids` (subtest suffixes dropped), in first-seen order."""
    return _unique(strip_subtest(test_id) for test_id in test_ids)


def django_test_selected(test_id, labels):
    """True when the Django test `test_id` is named by (or lies under) one of `labels`."""
    if test_id.startswith(FAILED_IMPORT_PREFIX):
        module = test_id[len(FAILED_IMPORT_PREFIX):]
        return any(
            label == module or label.startswith(module + ".") or module.startswith(label + ".")
            or label.endswith("." + module)
            for label in labels
        )
    return any(test_id == label or test_id.startswith(label + ".") for label in labels)


def pytest_item_selected(node_id, node_ids):
    """True when the pytest item `node_id` is one of `node_ids` or lies under one (file, class)."""
    for wanted in node_ids:
        if node_id == wanted or node_id.startswith(wanted + "::"):
            return True
        if "[" not in wanted and node_id.startswith(wanted + "["):
            return True
    return False
