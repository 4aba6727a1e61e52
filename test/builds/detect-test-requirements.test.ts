import { describe, expect, it } from "@jest/globals";
import { detectTestRequirements } from "../../src/builds/detect-test-requirements.js";
import { RequirementsError } from "../../src/domain/requirements-error.js";

const repo = (files: Record<string, string>) => (path: string) => files[path];

interface Case {
  name: string;
  files: Record<string, string>;
  install?: string[];
  extraDeps?: string[];
  requirements: string[];
  constraints?: string[];
  sources?: string[];
  notes?: RegExp[];
  read?: string[];
}

const cases: Case[] = [
  { name: "nothing to detect", files: {}, requirements: [], sources: [] },
  {
    name: "runtime plus the most specific test file only",
    files: {
      "requirements.txt": "requests>=2\n",
      "requirements/test.txt": "pytest==8.0\n",
      "requirements-test.txt": "nose\n",
      "requirements-dev.txt": "black\n",
    },
    requirements: ["pytest==8.0", "requests>=2"],
    sources: ["requirements.txt", "requirements/test.txt"],
  },
  {
    name: "requirements-dev.txt is the fallback when no test file exists",
    files: { "requirements-dev.txt": "Factory_Boy >= 3.0  # factories\n" },
    requirements: ["factory-boy>=3.0"],
    sources: ["requirements-dev.txt"],
  },
  {
    name: "includes are followed relative to the including file, once",
    files: {
      "requirements/test.txt": "-r base.txt\n--requirement=../requirements.txt\npytest\n",
      "requirements/base.txt": "-r ../requirements.txt\nsqlparse\n",
      "requirements.txt": "asgiref\n",
    },
    requirements: ["asgiref", "pytest", "sqlparse"],
    read: ["requirements.txt", "requirements/base.txt", "requirements/test.txt"],
  },
  {
    name: "include cycles and includes outside the repository stop",
    files: { "requirements-test.txt": "-r requirements-test.txt\n-r ../../etc/passwd\nmock\n" },
    requirements: ["mock"],
    notes: [/outside the repository/],
  },
  {
    name: "includes nest at most five deep",
    files: {
      "requirements-test.txt": "-r a.txt\n",
      "a.txt": "-r b.txt\na",
      "b.txt": "-r c.txt\nb",
      "c.txt": "-r d.txt\nc",
      "d.txt": "-r e.txt\nd",
      "e.txt": "-r f.txt\ne",
      "f.txt": "f",
    },
    requirements: ["a", "b", "c", "d", "e"],
    notes: [/deeper than 5/],
  },
  {
    name: "Django and the project itself (editable) are dropped with notes, hashes are dropped",
    files: {
      "requirements.txt": [
        "Django>=4.2,<5",
        "-e .",
        `django-filter==24.1 --hash=sha256:${"ab".repeat(32)}`,
        'pywin32; sys_platform == "win32"',
      ].join("\n"),
    },
    requirements: ["django-filter==24.1", 'pywin32; sys_platform == "win32"'],
    notes: [/cell.s Django/, /checkout itself/],
  },
  {
    name: "continuations and comments",
    files: { "requirements-test.txt": "# comment\ncoverage[toml] \\\n  >= 7.0 # why\n\n" },
    requirements: ["coverage[toml]>=7.0"],
  },
  {
    name: "constraint files feed constraints, not requirements",
    files: { "requirements-test.txt": "-c constraints.txt\npytest\n", "constraints.txt": "pytest<9\nDjango<5\n" },
    requirements: ["pytest"],
    constraints: ["pytest<9"],
    notes: [/constraints.txt: dropped "Django<5"/],
  },
  {
    name: "pyproject dependencies, test extras, self-references and dependency groups",
    files: {
      "pyproject.toml": `
[build-system]
requires = ["setuptools"]

[project]
name = "My_App"
dependencies = [
  "Django>=4.2",  # the cell decides
  "sqlparse",
]

[project.optional-dependencies]
docs = ["sphinx"]
tests = ["pytest-django", 'my-app[docs]']

[dependency-groups]
lint = ["ruff"]
test = ["coverage", {include-group = "lint"}]
`,
    },
    requirements: ["coverage", "pytest-django", "ruff", "sphinx", "sqlparse"],
    sources: ["pyproject.toml [project] dependencies", "pyproject.toml dependency group test", "pyproject.toml extra [tests]"],
    notes: [/dropped "Django>=4.2"/],
  },
  {
    name: "setup.cfg install_requires and extras",
    files: {
      "setup.cfg": "[metadata]\nname = app\n\n[options]\ninstall_requires =\n    requests\n    Django\n\n[options.extras_require]\ntesting =\n    pytest>=7\n",
    },
    requirements: ["pytest>=7", "requests"],
    notes: [/setup.cfg install_requires: dropped "Django"/],
  },
  {
    name: "config install replaces detection and follows -r from the repository root",
    files: { "requirements.txt": "requests\n", "ci/reqs.txt": "-r more.txt\nmock\n", "ci/more.txt": "freezegun\n" },
    install: ["factory-boy", "-r ci/reqs.txt", "-r missing.txt"],
    requirements: ["factory-boy", "freezegun", "mock"],
    sources: ["config install"],
    notes: [/missing.txt does not exist/],
  },
  {
    name: "extra deps are added and filtered the same way",
    files: { "requirements.txt": "requests\n" },
    extraDeps: ["pytest", "django==5.0"],
    requirements: ["pytest", "requests"],
    notes: [/cell's Django/],
  },
];

describe("detectTestRequirements", () => {
  it.each([
    ["requirements.txt", "ok\ngit+https://github.com/x/y.git#egg=y\n", 2],
    ["requirements.txt", "a\n\npkg @ https://example.com/pkg-1.0.tar.gz\n", 3],
    ["requirements.txt", "./libs/thing\n", 1],
    ["requirements.txt", "--index-url https://mirror.example/simple\nx\n", 1],
    ["requirements.txt", "x\n--no-binary=:all:\n", 2],
    ["requirements.txt", "-e git+https://x/y.git#egg=y\n", 1],
    ["requirements-test.txt", "# fine\nevil>=0\x1c--no-binary=evil\x1c--find-links=http://127.0.0.1:1/\n", 2],
    ["requirements-test.txt", "evil>=0\x1d--no-binary=evil\n", 1],
    ["requirements-test.txt", "evil>=0\x1e--no-binary=evil\n", 1],
    ["requirements-test.txt", "evil>=0\x85--no-binary=evil\n", 1],
    ["requirements-test.txt", "evil>=0\u2028--no-binary=evil\n", 1],
    ["requirements-test.txt", "evil>=0\u2029--no-binary=evil\n", 1],
    ["requirements-test.txt", "# a comment\x1c--no-binary=evil\n", 1],
  ])("refuses %s %j as a config error naming the line", (file, text, line) => {
    expect(() => detectTestRequirements({ readFile: repo({ [file]: text }) })).toThrow(RequirementsError);
    expect(() => detectTestRequirements({ readFile: repo({ [file]: text }) })).toThrow(new RegExp(`^${file.replace(".", "\\.")}, line ${line}: `));
  });

  it("refuses option lines inside an included constraints file, naming that file", () => {
    const files = { "requirements-test.txt": "-c constraints.txt\nevil\n", "constraints.txt": "evil>=0\x1c--no-binary=evil\n" };
    expect(() => detectTestRequirements({ readFile: repo(files) })).toThrow(/^constraints\.txt, line 1: .*U\+001C/);
  });

  it.each([
    ["config install", { install: ["ok", "--no-binary=:all:"] }, /^config install, line 2: .*pip options/],
    ["tox deps", { extraDeps: ["x @ https://evil.example/x.whl"] }, /^tox deps, line 1: .*direct reference/],
    ["pyproject dependencies", { files: { "pyproject.toml": '[project]\nname = "x"\ndependencies = [\n  "ok",\n  "--no-binary=evil",\n]\n' } }, /^pyproject\.toml, line 5: .*pip options/],
    ["pyproject extras", { files: { "pyproject.toml": '[project.optional-dependencies]\ntest = ["evil>=0\\u001c--no-binary=evil"]\n' } }, /^pyproject\.toml, line 2: .*U\+001C/],
    ["setup.cfg", { files: { "setup.cfg": "[options]\ninstall_requires =\n    ok\n    -i https://evil.example/simple\n" } }, /^setup\.cfg, line 4: .*pip options/],
  ])("refuses a bad %s entry", (_what, options: { install?: string[]; extraDeps?: string[]; files?: Record<string, string> }, message) => {
    expect(() => detectTestRequirements({ readFile: repo(options.files ?? {}), install: options.install, extraDeps: options.extraDeps })).toThrow(message);
  });

  it.each(cases)("$name", (c) => {
    const got = detectTestRequirements({ readFile: repo(c.files), install: c.install, extraDeps: c.extraDeps });
    expect(got.requirements).toEqual(c.requirements);
    expect(got.constraints).toEqual(c.constraints ?? []);
    if (c.sources) expect(got.sources).toEqual(c.sources);
    if (c.read) expect(got.files.map((f) => f.path)).toEqual(c.read);
    for (const note of c.notes ?? []) expect(got.notes).toContainEqual(expect.stringMatching(note));
    if (!c.notes) expect(got.notes).toEqual([]);
  });

  it("records the text of every requirement file it read", () => {
    const got = detectTestRequirements({ readFile: repo({ "requirements-test.txt": "-r base.txt\n", "base.txt": "x\n" }) });
    expect(got.files).toEqual([
      { path: "base.txt", content: "x\n" },
      { path: "requirements-test.txt", content: "-r base.txt\n" },
    ]);
  });
});
