"""Split one cell's pytest suite across worker processes on one host (issue 28).

When PONYCI_WORKERS is 2..64 (the runner's testWorkers), the controlling
pytest process collects as usual, then, in pytest_runtestloop:
- groups the items by class (the nearest class node: a class never leaves
  its process, so setUpClass / class fixtures run once) or, for functions
  outside a class, by file: the unit the runner's history orders
  (src/history/order-test-classes.ts testClassOf gives the same keys);
- orders the groups by PONYCI_ORDER (longest first from recorded durations;
  groups without a timing first: they may be long; otherwise collection
  order);
- forks N workers after collection (no second import or collection), each
  with pytest-xdist's worker identity (`config.workerinput["workerid"]` =
  "gw0", "gw1", ... and PYTEST_XDIST_WORKER), so pytest-django gives each its
  own test database exactly as under xdist; pytest-xdist itself is not needed;
- the workers PULL groups from a shared queue (Knapsack Pro's queue mode: a
  slow worker takes fewer groups): claiming group i is creating the file
  `<queue>/<i>` with O_CREAT|O_EXCL, atomic on the container's local tmp, and
  every worker walks the same list, so each group runs exactly once. A worker
  claims its next group just before the last test of the current one, so
  pytest's fixture teardown knows the next item (session fixtures such as
  pytest-django's test database live until the worker's last test).
Every worker writes its own test events to the one events file (single
O_APPEND writes). The controller runs no test: it waits for the workers,
adds their failures to its own count (pytest's exit status), and reports as
an `error` event a worker that ended without finishing (a signal, os._exit,
an internal error: "crashed while running <group>") and groups no worker ran,
so the cell fails instead of losing tests. With -x/--maxfail a worker that
stops asks the others to stop before their next group.
Coverage (pytest-cov, `coverage run`): each worker measures on, into its
own data file in the queue directory (never the controller's: coverage
erases a data file a forked process opens under the same name), saves it
before it leaves, and the controller adds every worker's data to its own
before the project's report, so the report, a fail-under threshold and
pytest-cov's combine see every test's lines, as under pytest-xdist. A
coverage.py whose data cannot be redirected keeps the run in one process.
Not split: --collect-only, --pdb, pytest-xdist in use (-n / --dist), fewer
than two groups, no os.fork. As under pytest-xdist, tests that write one fixed
path (a file database without a per-worker name) may collide.
Stdlib only.
"""

import json
import os
import time
import shutil
import sys
import tempfile
import traceback
import uuid

import ponyci_parallel
from ponyci_events import emit

WORKER_FLAG = "_ponyci_split_worker"


def is_split_worker(config):
    """True in a worker this module forked (it carries xdist's workerinput, yet reports its own tests)."""
    return bool(getattr(config, WORKER_FLAG, False))


def group_key(item):
    """The nearest class's node id, else the file's node id, else the item's own."""
    import pytest

    file_type = getattr(pytest, "File", pytest.Module)
    node = item.parent
    file_id = None
    while node is not None:
        if isinstance(node, pytest.Class):
            return node.nodeid
        if file_id is None and isinstance(node, file_type):
            file_id = node.nodeid
        node = node.parent
    return file_id or item.nodeid


def make_groups(items, order):
    """[(key, [items])]: items grouped by group_key, groups ranked by `order` (unknown first), stable."""
    groups = {}
    for item in items:
        groups.setdefault(group_key(item), []).append(item)
    keys = sorted(groups, key=lambda key: order.get(key, -1))
    return [(key, groups[key]) for key in keys]


def _should_split(session):
    option = session.config.option
    if ponyci_parallel.workers_from_env() is None or not hasattr(os, "fork"):
        return False
    if getattr(option, "collectonly", False) or getattr(option, "usepdb", False):
        return False
    if getattr(option, "numprocesses", None) or getattr(option, "dist", "no") not in ("no", None):
        return False
    if hasattr(session.config, "workerinput"):  # an xdist worker, or one of ours
        return False
    if session.testsfailed and not getattr(option, "continue_on_collection_errors", False):
        return False  # pytest's own loop reports "errors during collection"
    cov = _measuring_coverage()
    if cov is not None and not _can_redirect(cov):
        sys.stderr.write("ponyci: not split: this coverage.py's data cannot be kept per worker, and the report would miss the workers' lines\n")
        return False
    return True


def _measuring_coverage():
    """The coverage.Coverage measuring this process (pytest-cov's, `coverage run`'s), or None."""
    coverage = sys.modules.get("coverage")
    current = getattr(getattr(coverage, "Coverage", None), "current", None)
    try:
        return current() if current is not None else None
    except Exception:
        return None


def _coverage_data(cov):
    """The CoverageData a Coverage object collects into (None before it started)."""
    return getattr(cov, "_data", None)


def _can_redirect(cov):
    # Written by hand: coverage.py's own answer (`[run] patch = fork`, 7.10+) must be
    # switched on by the project and restarts measurement from the configuration file,
    # losing pytest-cov's --cov/--cov-branch. Here the worker keeps the running tracer and
    # only points its data at another file, through two attributes coverage.py has had
    # since its SQLite data (5.0); a coverage.py without them is not split (above).
    data = _coverage_data(cov)
    return data is not None and hasattr(data, "_basename") and hasattr(data, "_suffix") and hasattr(data, "_pid")


def _redirect_coverage(queue, workerid):
    """In a worker: collect into <queue>/coverage.<workerid>, never the controller's data file."""
    cov = _measuring_coverage()
    if cov is None:
        return None
    data = _coverage_data(cov)
    # At its next write CoverageData sees a pid that is not its own, closes what
    # it had open and opens (erasing) the file these name. The pid is cleared
    # rather than left to differ: with `[run] patch = fork` coverage.py has
    # already started a new Coverage in this process, whose data names the
    # controller's file under this very pid.
    data._basename = os.path.join(queue, "coverage")
    data._suffix = workerid
    data._pid = None
    cov._auto_save = False  # os._exit skips atexit anyway; saved below, once
    return cov


def _save_coverage(cov):
    if cov is None:
        return
    try:
        # Stopping may fail where a plugin replaced the measurement in this process
        # (pytest-cov before 7 starts its own per test in a forked process): save anyway.
        cov.stop()
    except Exception:
        pass
    try:
        cov.save()
    except Exception:
        sys.stderr.write("ponyci: a pytest worker could not save its coverage data:\n")
        traceback.print_exc()


def _merge_coverage(queue, exits):
    """Add each worker's coverage data to the controller's, before the project's report reads it."""
    cov = _measuring_coverage()
    if cov is None:
        return
    try:
        from coverage import CoverageData
    except ImportError:
        return
    merged = 0
    names = os.listdir(queue)
    for index in sorted(exits):
        # coverage.py may add a random part of its own to the suffix (pytest-cov asks it to): coverage.gw0[.xyz]
        prefix = "coverage.gw%d" % index
        found = [name for name in names if name == prefix or name.startswith(prefix + ".")]
        try:
            for name in found:
                worker = CoverageData(basename=os.path.join(queue, name))
                worker.read()
                cov.get_data().update(worker)
            merged += 1 if found else 0
        except Exception as error:
            sys.stderr.write("ponyci: coverage data of pytest worker gw%d could not be added: %s\n" % (index, error))
    sys.stderr.write("ponyci: coverage data of %d of %d pytest workers added to this process's\n" % (merged, len(exits)))


def runtestloop(session):
    """pytest_runtestloop for the controller: True when it ran the suite split, None to let pytest run it."""
    if not _should_split(session):
        return None
    groups = make_groups(session.items, ponyci_parallel.order_from_env())
    workers = min(ponyci_parallel.workers_from_env(), len(groups))
    if workers < 2:
        return None
    queue = tempfile.mkdtemp(prefix="ponyci-split-")
    try:
        sys.stderr.write("ponyci: %d test groups pulled by %d pytest workers\n" % (len(groups), workers))
        sys.stderr.flush()
        _close_django_connections()
        sys.stdout.flush()
        children = {}
        for index in range(workers):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the worker leaves through os._exit
                _worker_main(session, groups, queue, index, workers)
            children[pid] = index
        exits = {}
        while children:
            pid, status = os.waitpid(-1, 0)
            if pid in children:
                exits[children.pop(pid)] = status
        _merge_coverage(queue, exits)
        _settle(session, groups, queue, exits)
    finally:
        shutil.rmtree(queue, ignore_errors=True)
    return True


def _close_django_connections():
    """Forked workers must not share a database socket the controller opened (e.g. at import)."""
    if "django.db" not in sys.modules:
        return
    try:
        from django.conf import settings
        from django.db import connections

        if settings.configured:
            connections.close_all()
    except Exception:
        pass


def _worker_main(session, groups, queue, index, workers):
    code = 3
    cov = None
    try:
        cov = _redirect_coverage(queue, "gw%d" % index)
        _become_worker(session, index, workers)
        code = _run_groups(session, groups, queue, "gw%d" % index)
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            _save_coverage(cov)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _become_worker(session, index, workers):
    config = session.config
    workerid = "gw%d" % index
    config.workerinput = {"workerid": workerid, "workercount": workers, "testrunuid": uuid.uuid4().hex}
    config.workeroutput = {}
    setattr(config, WORKER_FLAG, True)
    session.testsfailed = 0  # the controller keeps its own count (collection errors); each worker reports only its tests
    os.environ["PYTEST_XDIST_WORKER"] = workerid
    os.environ["PYTEST_XDIST_WORKER_COUNT"] = str(workers)
    if index > 0:  # one capture of the migrated database per cell (ponyci_db_template.py), taken by gw0
        template = sys.modules.get("ponyci_db_template")
        if template is not None and os.environ.get("PONYCI_DB_TEMPLATE") == "capture":
            template._state["done"] = True


def _claim(queue, start, count, workerid):
    """The first group index >= start no worker claimed yet, now claimed by `workerid`; None when none is left."""
    if os.path.exists(os.path.join(queue, "stop")):
        return None
    for index in range(start, count):
        try:
            fd = os.open(os.path.join(queue, str(index)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            os.write(fd, workerid.encode("ascii"))
        finally:
            os.close(fd)
        return index
    return None


def _touch(path, text=""):
    with open(path, "w") as handle:
        handle.write(text)


def _run_groups(session, groups, queue, workerid):
    """Pull and run groups until none is left; write this worker's status; return its exit code."""
    hook = session.config.hook
    began = time.monotonic()
    ran = 0
    stopped = False
    current = _claim(queue, 0, len(groups), workerid)
    while current is not None:
        items = groups[current][1]
        following = current
        for position, item in enumerate(items):
            if position + 1 < len(items):
                nextitem = items[position + 1]
            else:
                following = _claim(queue, current + 1, len(groups), workerid)
                nextitem = groups[following][1][0] if following is not None else None
            hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
            ran += 1
            if session.shouldfail or session.shouldstop:
                stopped = True
                break
        if stopped:
            _touch(os.path.join(queue, "stop"))
            break
        _touch(os.path.join(queue, "%d.done" % current))
        current = following
    _teardown_all(session)
    _touch(os.path.join(queue, "%s.json" % workerid), json.dumps({"failed": session.testsfailed, "ran": ran, "stopped": stopped, "seconds": round(time.monotonic() - began, 3)}))
    return 1 if session.testsfailed else 0


def _teardown_all(session):
    """Finish fixtures still set up (after a stop, the last nextitem never ran)."""
    state = getattr(session, "_setupstate", None)
    if state is None:
        return
    if hasattr(state, "teardown_exact"):
        state.teardown_exact(None)
    elif hasattr(state, "teardown_all"):
        state.teardown_all()


def _read_status(queue, workerid):
    try:
        with open(os.path.join(queue, "%s.json" % workerid)) as handle:
            status = json.load(handle)
        return status if isinstance(status, dict) else None
    except (OSError, ValueError):
        return None


def _describe_exit(status):
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "exit code %d" % os.WEXITSTATUS(status)


def _settle(session, groups, queue, exits):
    """Fold the workers' outcomes into the controller's session; report what no worker finished."""
    claims = {}
    for index in range(len(groups)):
        try:
            with open(os.path.join(queue, str(index))) as handle:
                claims[index] = handle.read()
        except OSError:
            pass
    stopped = os.path.exists(os.path.join(queue, "stop"))
    ran = 0
    busy = []
    for index, status in sorted(exits.items()):
        workerid = "gw%d" % index
        result = _read_status(queue, workerid)
        if result is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1):
            failed = result.get("failed")
            session.testsfailed += failed if isinstance(failed, int) and failed >= 0 else 1
            ran += result.get("ran") if isinstance(result.get("ran"), int) else 0
            if isinstance(result.get("seconds"), (int, float)):
                busy.append("%s %.2f s" % (workerid, result["seconds"]))
            continue
        running = [groups[i][0] for i, owner in sorted(claims.items())
                   if owner == workerid and not os.path.exists(os.path.join(queue, "%d.done" % i))]
        where = " while running %s" % running[0] if running else ""
        if len(running) > 1:
            where += " (also claimed: %s)" % ", ".join(running[1:])
        message = "pytest worker %s crashed (%s)%s: the tests it had not reported did not run" % (workerid, _describe_exit(status), where)
        sys.stderr.write("ponyci: %s\n" % message)
        emit({"event": "error", "message": message})
        session.testsfailed += 1
    unclaimed = [groups[i][0] for i in range(len(groups)) if i not in claims]
    if unclaimed and not stopped:
        message = "%d test group(s) never ran (every pytest worker ended early): %s" % (len(unclaimed), ", ".join(unclaimed[:20]))
        sys.stderr.write("ponyci: %s\n" % message)
        emit({"event": "error", "message": message})
        session.testsfailed += 1
    # pytest's own summary in this process counts no test: say what the workers did.
    # The busy time of each worker (tests and its own database set-up) shows the split's balance.
    sys.stderr.write("ponyci: %d pytest workers ran %d of %d tests; failed: %d; busy: %s\n"
                     % (len(exits), ran, len(session.items), session.testsfailed, ", ".join(busy) or "-"))
