import { describe, expect, it } from "@jest/globals";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { readUvLock } from "../../src/builds/tox/read-uv-lock.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const cell = { python: "3.12", django: "5.2" };

// The layout of django-cors-headers (tox-uv's lock runner, PEP 735 groups per Django factor).
const PYPROJECT = `[project]
name = "corsy"
dependencies = ["asgiref>=3.6", "django>=5.2"]
[dependency-groups]
test = ["pytest>=9", "pytest-django", { include-group = "cov" }]
cov = ["coverage[toml]"]
django52 = [ "django>=5.2a1,<6; python_version>='3.10'" ]
django60 = [ "django>=6a1,<6.1; python_version>='3.12'" ]
`;
const TOX = (runner: string) => `[tox]
env_list = py312-django{60, 52}
[testenv]
runner = ${runner}
commands = python -m pytest {posargs:tests}
dependency_groups =
    test
    django52: django52
    django60: django60
    nosuch
`;
const LOCK = `version = 1
[[package]]
name = "asgiref"
version = "3.12.1"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "coverage"
version = "7.15.4"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "django"
version = "5.2.17"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "django"
version = "6.0.8"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "corsy"
version = "1.0"
source = { editable = "." }
[[package]]
name = "evil"
version = "1.0"
source = { git = "https://example.invalid/evil.git" }
[[package]]
name = "Pytest"
version = "9.1.1"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "tomli"
version = "2.4.1"
source = { registry = "https://pypi.org/simple" }
[[package]]
name = "tomli"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }
`;

describe("tox-uv and PEP 735 dependency groups", () => {
  it("dependency_groups with factors and include-group; uv-venv-lock-runner pins uv.lock's index versions as constraints", () => {
    const spec = planJobSpec(planMatrix(reader({ "pyproject.toml": PYPROJECT, "tox.ini": TOX("uv-venv-lock-runner"), "uv.lock": LOCK })), cell);
    expect(spec.environment.requirements).toEqual(["asgiref>=3.6", "coverage[toml]", "pytest-django", "pytest>=9"]);
    expect(spec.environment.constraints).toEqual(["asgiref==3.12.1", "coverage==7.15.4", "pytest==9.1.1"]);
    expect(spec.notes).toEqual([
      "tox env py312-django52: dependency groups nosuch are not in pyproject.toml [dependency-groups]: not installed",
      "tox env py312-django52: uv.lock pins several versions of tomli (for different markers or groups): those are resolved, not pinned",
    ]);
  });

  it("uv-venv-runner installs like tox's own runner: no constraints, no note", () => {
    const spec = planJobSpec(planMatrix(reader({ "pyproject.toml": PYPROJECT, "tox.ini": TOX("uv-venv-runner"), "uv.lock": LOCK })), cell);
    expect(spec.environment.constraints).toBeUndefined();
    expect(spec.notes?.filter((n) => n.includes("runner"))).toEqual([]);
  });

  it("a lock runner without uv.lock, and a runner nobody knows, say so", () => {
    expect(planJobSpec(planMatrix(reader({ "pyproject.toml": PYPROJECT, "tox.ini": TOX("uv-venv-lock-runner") })), cell).notes).toContain(
      "tox env py312-django52 uses uv-venv-lock-runner, but the repository has no uv.lock: its requirements are resolved afresh",
    );
    expect(planJobSpec(planMatrix(reader({ "pyproject.toml": PYPROJECT, "tox.ini": TOX("my-runner") })), cell).notes).toContain(
      "tox env py312-django52: runner my-runner is not known to Pony CI: installed as tox's virtualenv runner would",
    );
  });

  it("a uv.lock that is not TOML, or pins something that is not a version, is never passed on", () => {
    expect(readUvLock(reader({ "uv.lock": "[[package]\nname =" }))).toEqual({ constraints: [], notes: [expect.stringContaining("uv.lock is not valid TOML")] });
    const hostile = `[[package]]\nname = "x"\nversion = "1.0 --index-url=https://evil.invalid"\nsource = { registry = "https://pypi.org/simple" }\n[[package]]\nname = "-r /etc/passwd"\nversion = "1"\nsource = { registry = "x" }\n`;
    expect(readUvLock(reader({ "uv.lock": hostile }))).toEqual({ constraints: [], notes: [] });
  });
});
