"""Pony CI test harness: run a repository's tests and report JSON-lines events.

Usage (inside the test container, working directory = repository checkout):
    PONYCI_EVENTS=/events/events.jsonl PONYCI_REPO_ROOT=/workspace \
        python3 /ponyci/harness/ponyci_harness.py
See README.md beside this file for the environment variables and the event
schema. Writes `start`, then the test command's `test`/`error` events, then
always `end`; exits with the test command's exit code.
Stdlib only; Python 3.9+.
"""

import os
import platform
import signal
import subprocess
import sys
import time

HARNESS_DIR = os.path.dirname(os.path.realpath(__file__))
if HARNESS_DIR not in sys.path:
    sys.path.insert(0, HARNESS_DIR)

from ponyci_commands import parse_plan, run_plan  # noqa: E402
from ponyci_detect import detect_command, parse_posargs  # noqa: E402
from ponyci_events import emit, events_path  # noqa: E402
from ponyci_locate import describe_exception, format_exception, repo_root  # noqa: E402
from ponyci_only_tests import only_tests_from_env  # noqa: E402
from ponyci_repo_listing import list_repo_files, make_reader  # noqa: E402
from ponyci_totals import count_totals  # noqa: E402

EXIT_HARNESS_FAILED = 70
EXIT_COMMAND_NOT_FOUND = 127


def package_version(name):
    """Installed version of a distribution, or None."""
    try:
        from importlib import metadata

        return metadata.version(name)
    except Exception:
        return None


def pytest_importable():
    import importlib.util

    return importlib.util.find_spec("pytest") is not None


def child_environment(base, extra, root):
    """The test command's environment: hooks on PYTHONPATH, the pytest plugin, the interpreter on PATH."""
    env = dict(base)
    env.update(extra)
    # The hooks first, then what the container was given (upstream checkouts), then the command's own.
    paths = [HARNESS_DIR, base.get("PYTHONPATH", ""), extra.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    plugins = [p for p in base.get("PYTEST_PLUGINS", "").split(",") if p.strip()]
    env["PYTEST_PLUGINS"] = ",".join(plugins + ["ponyci_pytest_plugin"])
    env["PONYCI_REPO_ROOT"] = root
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.pop("PONYCI_HOOK_OWNER", None)
    bin_dir = os.path.dirname(sys.executable)
    path = base.get("PATH", os.defpath).split(os.pathsep)
    if bin_dir and bin_dir not in path:
        env["PATH"] = os.pathsep.join([bin_dir] + path)
    return env


def run_command(argv, env, cwd):
    """Run the test command with stdio untouched, forwarding SIGTERM/SIGINT; return its exit code."""
    try:
        child = subprocess.Popen(argv, env=env, cwd=cwd)
    except FileNotFoundError as exc:
        emit({"event": "error", "message": "cannot run %s: %s" % (argv[0], exc)})
        return EXIT_COMMAND_NOT_FOUND

    def forward(signum, _frame):
        try:
            child.send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def command_failed(step, argv, code):
    """The `command` event: which command failed the run (the runner shows it with its output's tail)."""
    emit({"event": "command", "step": step, "command": [str(arg) for arg in argv][:100], "exit_code": code})


def start_event(detection, plan=None):
    """The `start` event; `detection` and `plan` are None when deciding the command failed."""
    event = {"event": "start", "runner": "command", "command": [], "python": platform.python_version(),
             "django": package_version("django"), "pytest": package_version("pytest")}
    if plan is not None:
        first = (plan.main or plan.pre or plan.post)[0]["argv"] if (plan.main or plan.pre or plan.post) else []
        event.update(runner=plan.source, command=first, reason="the job spec names the commands")
        if plan.env.get("DJANGO_SETTINGS_MODULE"):
            event["settings"] = plan.env["DJANGO_SETTINGS_MODULE"]
    elif detection is not None:
        event.update(runner=detection.runner, command=detection.argv, reason=detection.reason)
        if detection.env.get("DJANGO_SETTINGS_MODULE"):
            event["settings"] = detection.env["DJANGO_SETTINGS_MODULE"]
    return event


def main():
    if not events_path():
        sys.stderr.write("ponyci: set PONYCI_EVENTS to the file that should receive the events\n")
        return 2
    began = time.monotonic()
    root = repo_root()
    exit_code = EXIT_HARNESS_FAILED
    detection = None
    plan = None
    offset = None
    try:
        if os.environ.get("PONYCI_COMMANDS"):
            try:
                plan = parse_plan(os.environ["PONYCI_COMMANDS"], root, sys.executable)
            finally:
                emit(start_event(None, plan))
                offset = os.path.getsize(events_path())
            exit_code = run_plan(plan, child_environment(os.environ, plan.env, root), run_command, on_failure=command_failed)
            return exit_code
        try:
            detection = detect_command(
                list_repo_files(root), make_reader(root), sys.executable, pytest_importable(),
                test_command=os.environ.get("PONYCI_TEST_COMMAND"), only_tests=only_tests_from_env(),
                environ_settings=os.environ.get("DJANGO_SETTINGS_MODULE"),
                posargs=parse_posargs(os.environ.get("PONYCI_POSARGS")))
        finally:
            emit(start_event(detection))
            offset = os.path.getsize(events_path())
        exit_code = run_command(detection.argv, child_environment(os.environ, detection.env, root), root)
        if exit_code != 0:
            sys.stderr.write("[ponyci] test command failed: exit %d\n" % exit_code)
            sys.stderr.flush()
            command_failed("test command", detection.argv, exit_code)
    except Exception as exc:
        emit({"event": "error", "message": "ponyci harness: %s" % describe_exception(exc),
              "traceback": format_exception(exc)})
    finally:
        emit({"event": "end", "exit_code": exit_code, "duration": round(time.monotonic() - began, 3),
              "totals": count_totals(events_path(), offset)})
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
