"""PONYCI_FIRST: tests to run first (pure helpers).

The variable holds a JSON array of test ids, as `test` events reported them:
the tests that failed last time on the branch. Running them first makes the
first failure known early; only the order changes, never which tests run.
Ordering is an optimisation: a malformed value is ignored, not an error.
"""

import json
import os


def parse_first_tests(raw):
    """The ids in `raw` (a JSON array of strings); [] when unset, empty or malformed."""
    if raw is None or not raw.strip():
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item.strip()]


def first_tests_from_env(environ=None):
    """parse_first_tests(PONYCI_FIRST)."""
    return parse_first_tests((environ if environ is not None else os.environ).get("PONYCI_FIRST"))


def order_first(items, is_first):
    """`items` with those `is_first` selects moved to the front, each group in its original order."""
    first = [item for item in items if is_first(item)]
    if not first:
        return list(items)
    return first + [item for item in items if not is_first(item)]


def order_first_within_runs(items, group_of, is_first):
    """Like order_first, but only inside each run of consecutive items of the same `group_of`.

    Django runs TestCase tests before TransactionTestCase ones, and those
    before plain unittest ones (a TransactionTestCase empties the database a
    TestCase may rely on): no test crosses such a boundary, so the verdict
    is the one the suite would give in Django's own order.
    """
    result = []
    run = []
    run_group = object()
    for item in items:
        group = group_of(item)
        if run and group != run_group:
            result.extend(order_first(run, is_first))
            run = []
        run_group = group
        run.append(item)
    result.extend(order_first(run, is_first))
    return result
