import { describe, expect, it } from "@jest/globals";
import { planMatrix } from "../../src/builds/plan-matrix.js";
import { planJobSpec } from "../../src/builds/plan-job-spec.js";
import { projectMetadataSpec } from "../../src/builds/project-metadata-spec.js";
import { parseCoreMetadata, requirementsForExtras } from "../../runner/src/environment/project-metadata/parse-core-metadata.js";

const reader = (files: Readonly<Record<string, string | undefined>>) => (path: string) => files[path];
const cell = { python: "3.11", django: "4.2" };
const TEST_EXTRAS = ["test", "tests", "testing"];

describe("which projects' metadata comes from their build backend (planning, nothing runs)", () => {
  it.each([
    { name: "setup.py, no [project]: the backend", files: { "setup.py": "setup()" }, spec: { extras: ["testing"], optionalExtras: TEST_EXTRAS } },
    { name: "setup.py beside a pyproject.toml with only [build-system]", files: { "setup.py": "setup()", "pyproject.toml": '[build-system]\nrequires = ["setuptools>=61", "wheel"]\nbuild-backend = "setuptools.build_meta"\n' }, spec: { extras: ["testing"], optionalExtras: TEST_EXTRAS, buildSystem: { requires: ["setuptools>=61", "wheel"], backend: "setuptools.build_meta" } } },
    { name: "static [project]: read on the host, no backend", files: { "setup.py": "setup()", "pyproject.toml": '[project]\nname = "a"\ndependencies = ["six"]\n' }, spec: undefined },
    { name: "[project] dynamic dependencies: the backend", files: { "pyproject.toml": '[project]\nname = "a"\ndynamic = ["version", "optional-dependencies"]\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n' }, spec: { extras: ["testing"], optionalExtras: TEST_EXTRAS, buildSystem: { requires: ["hatchling"], backend: "hatchling.build" } } },
    { name: "only setup.cfg: static", files: { "setup.cfg": "[options]\ninstall_requires = six\n" }, spec: undefined },
    { name: "a build requirement that is a URL: the table is not passed on", files: { "setup.py": "", "pyproject.toml": '[build-system]\nrequires = ["evil @ https://x.invalid/e.whl"]\nbuild-backend = "evil"\n' }, spec: { extras: ["testing"], optionalExtras: TEST_EXTRAS } },
  ])("$name", ({ files, spec }) => {
    expect(projectMetadataSpec(reader(files), { extras: ["testing"], optionalExtras: TEST_EXTRAS })).toEqual(spec);
  });

  it("a tox env with extras of a setup.py project: the runner asks the backend, and the note about undeclared extras is gone; pip install steps are left out", () => {
    const files = {
      "setup.py": "setup(extras_require={'testing': ['coverage']})",
      "tox.ini": "[tox]\nenvlist = py311-django42\n[testenv]\nextras = testing\ndeps =\n    django42: Django>=4.2,<5.0\ncommands_pre =\n    python -m pip install --upgrade pip\n    python -m pip install .\ncommands = coverage run -m pytest\n",
    };
    const spec = planJobSpec(planMatrix(reader(files)), cell);
    expect(spec.environment.projectMetadata).toEqual({ extras: ["testing"], optionalExtras: TEST_EXTRAS });
    expect(spec.commands?.pre).toEqual([]);
    expect(spec.commands?.main).toEqual([{ argv: ["coverage", "run", "-m", "pytest"] }]);
    expect(spec.notes).toEqual([
      "tox env py311-django42: commands_pre `python -m pip install --upgrade pip` skipped: Pony CI installs the environment before the commands run",
      "tox env py311-django42: commands_pre `python -m pip install .` skipped: Pony CI installs the environment before the commands run",
    ]);
  });

  it("skip_install without `.` in deps: the project is not installed, so nothing is asked", () => {
    const files = { "setup.py": "", "tox.ini": "[tox]\nenvlist = py311-django42\n[testenv]\nskip_install = true\ndeps = pytest\ncommands = pytest\n" };
    expect(planJobSpec(planMatrix(reader(files)), cell).environment.projectMetadata).toBeUndefined();
  });
});

describe("core metadata, parsed strictly on the host", () => {
  const metadata = parseCoreMetadata(
    [
      "Metadata-Version: 2.1",
      "Name: Django_Environ",
      "Version: 0.12",
      "Summary: a long",
      "  continued summary",
      "Provides-Extra: testing",
      "Provides-Extra: docs",
      "Requires-Dist: Six (>=1.0)",
      'Requires-Dist: coverage[toml]>=5; extra == "testing"',
      'Requires-Dist: django-environ[docs]; extra == "testing"',
      'Requires-Dist: furo; extra == "docs"',
      'Requires-Dist: pywin32; sys_platform == "win32" and extra == "testing"',
      'Requires-Dist: mock; extra != "testing"',
      "",
      "Requires-Dist: not-a-header-but-the-body",
    ].join("\n"),
  );

  it("keeps the dependencies and the wanted extras' ones, with the extra decided and the rest of the marker kept; self-extras followed", () => {
    expect(metadata.name).toBe("django-environ");
    expect(requirementsForExtras(metadata, ["testing"])).toEqual({ requirements: ["six>=1.0", "coverage[toml]>=5", "furo", 'pywin32; sys_platform == "win32"'], missing: [] });
    expect(requirementsForExtras(metadata, [])).toEqual({ requirements: ["six>=1.0", "mock"], missing: [] });
    expect(requirementsForExtras(metadata, ["dev"]).missing).toEqual(["dev"]);
  });

  it.each([
    ["a header without a name", "Version: 1\n"],
    ["a line that is no header", "Name: a\nthis is not a header\n"],
    ["a malformed extra", "Name: a\nProvides-Extra: $(rm -rf)\n"],
    ["too long", `Name: a\n${"Summary: x\n".repeat(110_000)}`],
  ])("refuses %s", (_name, text) => {
    expect(() => parseCoreMetadata(text)).toThrow();
  });
});
