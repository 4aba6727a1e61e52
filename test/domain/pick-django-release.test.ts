import { describe, expect, it } from "@jest/globals";
import { admitsPython, listWheelReleases, pickNewestRelease, pickSeriesRelease, readIndexWheel } from "../../src/domain/pick-django-release.js";
import { newestSeriesReleases } from "../../src/builds/versions/derive-django-support.js";
import { pickDjangoVersion } from "../../runner/src/environment/pick-django-version.js";

/** Issue 21: the app's support table and the runner's patch release are one decision over the same index files. */
const file = (version: string, extra: Record<string, unknown> = {}) => ({ filename: `Django-${version}-py3-none-any.whl`, url: `/files/Django-${version}-py3-none-any.whl`, "requires-python": ">=3.10", ...extra });
const page = [
  file("5.2.8"),
  file("5.2.9"),
  file("5.2.10", { yanked: "broke the admin" }),
  { filename: "Django-5.2.11.tar.gz", url: "/files/Django-5.2.11.tar.gz", "requires-python": ">=3.10" },
  file("6.1a1", { "requires-python": ">=3.12" }),
  file("6.0", { "requires-python": ">=3.12" }),
  file("6.0.1", { "requires-python": ">=3.12" }),
  file("6.0.2rc1", { "requires-python": ">=3.12" }),
  file("4.2.27", { "requires-python": ">=3.8" }),
  file("4.2.28.post1"),
  { filename: "Django-4.2.29-py3-none-any.whl", url: "/x", yanked: true },
  "not an entry",
  null,
];

describe("one Django release choice", () => {
  it("reads a file entry: no yanked file, no sdist, no version of another shape", () => {
    expect(readIndexWheel(file("5.2.9"))).toEqual({ version: "5.2.9", requiresPython: ">=3.10" });
    expect(readIndexWheel(file("5.2.10", { yanked: true }))).toBeUndefined();
    expect(readIndexWheel(file("5.2.10", { yanked: "" }))).toBeUndefined();
    expect(readIndexWheel(file("5.2.10", { yanked: false }))).toEqual({ version: "5.2.10", requiresPython: ">=3.10" });
    expect(readIndexWheel({ filename: "Django-5.2.11.tar.gz" })).toBeUndefined();
    // A post-release is a final release in PEP 440 order (one version order: @renovatebot/pep440).
    expect(readIndexWheel(file("4.2.28.post1"))).toEqual({ version: "4.2.28.post1", requiresPython: ">=3.10" });
    expect(readIndexWheel(file("4.2.x"))).toBeUndefined();
    expect(readIndexWheel("Django-5.2.9-py3-none-any.whl")).toBeUndefined();
  });

  it.each([
    [">=3.10", "3.10", true], [">=3.10", "3.9", false], [">=3.8,<3.13", "3.12", true], [">=3.8,<3.13", "3.13", false], ["", "3.9", true], ["not a specifier", "3.9", true],
  ])("Requires-Python %j admits %s: %s", (spec, python, admitted) => {
    expect(admitsPython(spec, python)).toBe(admitted);
  });

  it("lists the releases with a wheel for a Python, newest first, and picks the newest final release of a series", () => {
    expect(listWheelReleases(page, "3.11")).toEqual(["5.2.9", "5.2.8", "4.2.28.post1", "4.2.27"]);
    expect(pickSeriesRelease("4.2", listWheelReleases(page, "3.11"))).toBe("4.2.28.post1");
    expect(listWheelReleases(page, "3.13")).toEqual(["6.1a1", "6.0.2rc1", "6.0.1", "6.0", "5.2.9", "5.2.8", "4.2.28.post1", "4.2.27"]);
    expect(pickSeriesRelease("6.0", listWheelReleases(page, "3.13"))).toBe("6.0.1");
    expect(pickSeriesRelease("6.1", listWheelReleases(page, "3.13"))).toBe("6.1a1");
    expect(pickSeriesRelease("6.0", listWheelReleases(page, "3.11"))).toBeUndefined();
    expect(pickNewestRelease(["5.2rc1", "5.2b1"])).toBe("5.2rc1");
  });

  it("gives the app's table and the runner the same release for every series", () => {
    const table = newestSeriesReleases(page as never, "https://index.example/simple/django/");
    for (const row of table) expect(pickDjangoVersion(row.series, listWheelReleases(page, "3.13"))).toBe(row.version);
    expect(table.map((r) => `${r.series}=${r.version}`)).toEqual(["4.2=4.2.28.post1", "5.2=5.2.9", "6.0=6.0.1", "6.1=6.1a1"]);
  });
});
