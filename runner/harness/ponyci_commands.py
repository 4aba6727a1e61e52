"""Run a job spec's command plan (a tox env's commands) in tox 4's order.

PONYCI_COMMANDS holds the plan as JSON (src/domain/job-spec.ts CommandPlan):
    {"pre": [step], "main": [step], "post": [step], "cwd": "tests",
     "env": {"NAME": "value"}, "ignoreErrors": false, "source": "tox env …"}
    step = {"argv": [...], "ignoreExitCode": bool, "invertExitCode": bool}
Placeholders `{toxinidir}`, `{envpython}`, `{envbindir}`, `{envdir}`,
`{envsitepackagesdir}`, `{envtmpdir}`, `{envlogdir}`, `{toxworkdir}`,
`{temp_dir}` in argv, env values and cwd are the container's directories.
Order: pre (a failure skips main), main (stops at the first failure unless
ignoreErrors), post always; the result is the first failing exit code.
Each command is announced as a short `[ponyci]` line on stderr.
Stdlib only; Python 3.9+.
"""

import json
import os
import sys
import sysconfig
import time
from collections import namedtuple

Plan = namedtuple("Plan", ["pre", "main", "post", "cwd", "env", "ignore_errors", "source"])


class PlanError(Exception):
    """The plan cannot be run as given (bad JSON, a directory outside the repository)."""


def placeholder_values(root, python):
    """The container's value of every placeholder the planner may write."""
    scratch = os.path.join(os.environ.get("TMPDIR") or "/tmp", "ponyci-tox")
    return {
        "toxinidir": root,
        "envpython": python,
        "envbindir": os.path.dirname(python),
        "envdir": sys.prefix,
        "envsitepackagesdir": sysconfig.get_paths()["purelib"],
        "envtmpdir": os.path.join(scratch, "tmp"),
        "envlogdir": os.path.join(scratch, "log"),
        "toxworkdir": scratch,
        "temp_dir": os.path.join(scratch, "temp"),
    }


def fill(text, values):
    """`text` with every `{placeholder}` replaced (others are left as they are)."""
    for name, value in values.items():
        text = text.replace("{%s}" % name, value)
    return text


def _steps(raw, values):
    if not isinstance(raw, list):
        raise PlanError("command list is not a list")
    steps = []
    for item in raw:
        argv = item.get("argv") if isinstance(item, dict) else None
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise PlanError("a command has no argv")
        steps.append({"argv": [fill(a, values) for a in argv],
                      "ignore": bool(item.get("ignoreExitCode")), "invert": bool(item.get("invertExitCode"))})
    return steps


def parse_plan(text, root, python):
    """The plan from PONYCI_COMMANDS, placeholders filled in; raises PlanError."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise PlanError("PONYCI_COMMANDS is not JSON: %s" % exc)
    if not isinstance(raw, dict):
        raise PlanError("PONYCI_COMMANDS is not an object")
    values = placeholder_values(root, python)
    cwd = fill(str(raw.get("cwd") or ""), values)
    real_root = os.path.realpath(root)
    target = os.path.realpath(os.path.join(real_root, cwd))
    if target != real_root and not target.startswith(real_root + os.sep):
        raise PlanError("change_dir %s is outside the repository" % cwd)
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise PlanError("env is not an object")
    for directory in ("envtmpdir", "envlogdir", "temp_dir"):
        os.makedirs(values[directory], exist_ok=True)
    return Plan(
        pre=_steps(raw.get("pre") or [], values), main=_steps(raw.get("main") or [], values),
        post=_steps(raw.get("post") or [], values), cwd=target,
        env={str(k): fill(str(v), values) for k, v in env.items()},
        ignore_errors=bool(raw.get("ignoreErrors")), source=str(raw.get("source") or "commands"))


def _say(line):
    sys.stderr.write("[ponyci] %s\n" % line)
    sys.stderr.flush()


def run_plan(plan, env, run, on_failure=None):
    """Run the plan; `run(argv, env, cwd)` returns an exit code. Returns the run's exit code.

    `on_failure(step, argv, code)` is told about the first step that fails the run
    ("commands[0]", its argv, its exit code), after the harness's "failed" line.
    """
    if not os.path.isdir(plan.cwd):
        os.makedirs(plan.cwd, exist_ok=True)  # tox creates change_dir too
    failed = 0
    for phase, steps in (("commands_pre", plan.pre), ("commands", plan.main), ("commands_post", plan.post)):
        if phase == "commands" and failed:
            _say("commands skipped: commands_pre failed")
            continue
        for index, step in enumerate(steps):
            _say("%s[%d]> %s" % (phase, index, " ".join(step["argv"])))
            began = time.monotonic()
            code = run(step["argv"], env, plan.cwd)
            took = time.monotonic() - began
            ok = (code != 0) if step["invert"] else (code == 0)
            if ok or step["ignore"]:
                suffix = " (exit code ignored)" if not ok else ""
                _say("%s[%d] exited %d in %.1f s%s" % (phase, index, code, took, suffix))
                continue
            _say("%s[%d] failed: exit %d in %.1f s" % (phase, index, code, took))
            if not failed:
                failed = code if code != 0 else 1
                if on_failure is not None:
                    on_failure("%s[%d]" % (phase, index), step["argv"], code)
            if phase == "commands" and not plan.ignore_errors:
                break
            if phase == "commands_pre":
                break
    return failed
