import { describe, expect, it } from "@jest/globals";
import { execa } from "execa";
import { join } from "node:path";
import { HARNESS_DIR, REPO_ROOT } from "./harness-fixture.js";

interface DetectCase {
  name: string;
  files: Record<string, string>;
  pytest?: boolean;
  command?: string;
  only?: string[];
  settings?: string;
  /** PONYCI_POSARGS (`ponyci run -- ARGS`). */
  posargs?: string;
  expected: { runner: string; argv: string[]; env?: Record<string, string> };
}

const SETTINGS = "INSTALLED_APPS = []\n";

const CASES: DetectCase[] = [
  {
    name: "PONYCI_TEST_COMMAND wins over everything",
    files: { "manage.py": "" },
    command: "tox -e py311",
    expected: { runner: "command", argv: ["/bin/sh", "-c", "tox -e py311"] },
  },
  {
    name: "manage.py at the root",
    files: { "manage.py": "", "pytest.ini": "[pytest]\n", "runtests.py": "" },
    expected: { runner: "django", argv: ["python", "manage.py", "test"] },
  },
  {
    name: "manage.py with re-run labels (subtests, failed imports and class fixtures mapped)",
    files: { "manage.py": "" },
    only: [
      "polls.tests.T.test_a",
      "polls.tests.T.test_b [i=2]",
      "polls.tests.T.test_b [i=3]",
      "unittest.loader._FailedTest.polls.test_missing",
      "setUpClass (polls.tests.Slow)",
    ],
    expected: {
      runner: "django",
      argv: ["python", "manage.py", "test", "polls.tests.T.test_a", "polls.tests.T.test_b", "polls.test_missing", "polls.tests.Slow"],
    },
  },
  {
    name: "runtests.py without manage.py (labels are left to the hook)",
    files: { "runtests.py": "", "conftest.py": "" },
    only: ["tests.test_x.T.test_y"],
    expected: { runner: "django", argv: ["python", "runtests.py"] },
  },
  {
    name: "pytest.ini",
    files: { "pytest.ini": "[pytest]\n", "tests/settings.py": SETTINGS },
    expected: { runner: "pytest", argv: ["python", "-m", "pytest"] },
  },
  {
    name: "pyproject.toml [tool.pytest.ini_options] with re-run node ids",
    files: { "pyproject.toml": '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n' },
    only: ["tests/test_a.py::test_x[1]", "tests/test_a.py::test_y [i=1]"],
    expected: { runner: "pytest", argv: ["python", "-m", "pytest", "tests/test_a.py::test_x[1]", "tests/test_a.py::test_y"] },
  },
  {
    name: "setup.cfg [tool:pytest]",
    files: { "setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\nDJANGO_SETTINGS_MODULE = tests.settings\n" },
    expected: { runner: "pytest", argv: ["python", "-m", "pytest"] },
  },
  {
    name: "tox.ini [pytest]",
    files: { "tox.ini": "[tox]\nenvlist = py311\n\n[pytest]\naddopts = -q\n" },
    expected: { runner: "pytest", argv: ["python", "-m", "pytest"] },
  },
  {
    name: "conftest.py in tests/",
    files: { "tests/conftest.py": "", "tests/test_a.py": "" },
    expected: { runner: "pytest", argv: ["python", "-m", "pytest"] },
  },
  {
    name: "pytest configured but not installed falls through to django",
    files: { "pytest.ini": "[pytest]\n", "tests/settings.py": SETTINGS },
    pytest: false,
    expected: { runner: "django", argv: ["python", "-m", "django", "test"], env: { DJANGO_SETTINGS_MODULE: "tests.settings" } },
  },
  {
    name: "setup.cfg without a pytest section is not pytest configuration",
    files: { "setup.cfg": "[metadata]\nname = x\n", "test_settings.py": SETTINGS, "tests/settings.py": SETTINGS },
    expected: { runner: "django", argv: ["python", "-m", "django", "test"], env: { DJANGO_SETTINGS_MODULE: "test_settings" } },
  },
  {
    name: "a package's settings.py defining INSTALLED_APPS beats one that does not",
    files: { "alpha/settings.py": "DEBUG = True\n", "mysite/settings.py": SETTINGS },
    expected: { runner: "django", argv: ["python", "-m", "django", "test"], env: { DJANGO_SETTINGS_MODULE: "mysite.settings" } },
  },
  {
    name: "a settings package",
    files: { "mysite/settings/__init__.py": SETTINGS, "mysite/settings/base.py": SETTINGS },
    expected: { runner: "django", argv: ["python", "-m", "django", "test"], env: { DJANGO_SETTINGS_MODULE: "mysite.settings" } },
  },
  {
    name: "DJANGO_SETTINGS_MODULE from the environment is kept",
    files: { "tests/settings.py": SETTINGS },
    settings: "custom.settings",
    expected: { runner: "django", argv: ["python", "-m", "django", "test"], env: {} },
  },
  {
    name: "manage.py with PONYCI_POSARGS: appended after the re-run labels, each one argument",
    files: { "manage.py": "" },
    only: ["polls.tests.T.test_a"],
    posargs: JSON.stringify(["-v", "2", "$(touch /tmp/x); id"]),
    expected: { runner: "django", argv: ["python", "manage.py", "test", "polls.tests.T.test_a", "-v", "2", "$(touch /tmp/x); id"] },
  },
  {
    name: "runtests.py with PONYCI_POSARGS",
    files: { "runtests.py": "" },
    posargs: JSON.stringify(["tests.test_x"]),
    expected: { runner: "django", argv: ["python", "runtests.py", "tests.test_x"] },
  },
  {
    name: "pytest with PONYCI_POSARGS",
    files: { "pytest.ini": "[pytest]\n" },
    posargs: JSON.stringify(["-k", "slug or name"]),
    expected: { runner: "pytest", argv: ["python", "-m", "pytest", "-k", "slug or name"] },
  },
  {
    name: "PONYCI_TEST_COMMAND is left as it is (the planner put the arguments in it)",
    files: { "manage.py": "" },
    command: "pytest 'a b'",
    posargs: JSON.stringify(["a b"]),
    expected: { runner: "command", argv: ["/bin/sh", "-c", "pytest 'a b'"] },
  },
  {
    name: "nothing found still runs python -m django test",
    files: { "README.md": "hi" },
    only: ["pkg.tests.T.test_x"],
    expected: { runner: "django", argv: ["python", "-m", "django", "test", "pkg.tests.T.test_x"], env: {} },
  },
];

describe("detect_command (ponyci_detect.py)", () => {
  it.each([["{}"], ["[1]"], ["not json"]])("refuses PONYCI_POSARGS=%s with a message", async (raw) => {
    const { stdout } = await execa("python3", [join(REPO_ROOT, "test/harness/detect-driver.py"), HARNESS_DIR], {
      input: JSON.stringify([{ files: { "manage.py": "" }, posargs: raw }]),
    });
    expect(JSON.parse(stdout)).toEqual([{ error: expect.stringMatching(/^PONYCI_POSARGS must be a JSON array/) }]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, testCase) => {
    const { stdout } = await execa("python3", [join(REPO_ROOT, "test/harness/detect-driver.py"), HARNESS_DIR], {
      input: JSON.stringify([testCase]),
    });
    const [detection] = JSON.parse(stdout) as Array<{ runner: string; argv: string[]; env: Record<string, string>; reason: string }>;

    expect(detection).toMatchObject({ runner: testCase.expected.runner, argv: testCase.expected.argv });
    if (testCase.expected.env) expect(detection?.env).toEqual(testCase.expected.env);
    expect(detection?.reason.length).toBeGreaterThan(0);
  });
});
