"""Count the `test` events the test command wrote, for the `end` event."""

import json

OUTCOMES = ("passed", "failed", "error", "skipped", "xfail", "xpass")


def empty_totals():
    totals = {outcome: 0 for outcome in OUTCOMES}
    totals["total"] = 0
    return totals


def count_lines(lines):
    """Totals per outcome of the `test` events among JSON `lines` (unparsable lines are ignored)."""
    totals = empty_totals()
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "test" and event.get("outcome") in OUTCOMES:
            totals[event["outcome"]] += 1
            totals["total"] += 1
    return totals


def count_totals(path, offset):
    """Totals of the events file from byte `offset` on (None: nothing was run)."""
    if offset is None:
        return empty_totals()
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except OSError:
        return empty_totals()
    return count_lines(data.decode("utf-8", "replace").splitlines())
