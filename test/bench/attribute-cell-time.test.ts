import { describe, expect, it } from "@jest/globals";
import { attributeCellTime } from "../../bench/support/attribute-cell-time.js";

// The system lines of a real cold cell (bench trace, cold-env-bench), abridged: the builder's "ponyci:" lines without that prefix, as run-cell logs them.
const COLD = [
  { ms: 52, line: "Checking out 39bd9c97cd70" },
  { ms: 853, line: "Checked out in 0.7 s" },
  { ms: 1913, line: "building environment 387ec09cf42a (Python 3.11, Django 5.2.19; from requirements-test.txt)" },
  { ms: 4099, line: "resolve 2.2 s (uv, 15 packages)" },
  { ms: 5814, line: "download 1.7 s (16 of 16 wheels downloaded, the rest cached)" },
  { ms: 18173, line: "install 12.2 s (uv, offline, hard links into the store)" },
  { ms: 18214, line: "built environment 387ec09cf42a in 16.3 s" },
  { ms: 18215, line: "environment: probe 0.0 s, resolve 2.2 s, download 1.7 s, install 12.2 s, record 0.0 s; 16.3 s in all" },
  { ms: 18217, line: "Environment 387ec09cf42a on ponyci/python:3.11 (Django 5.2.19, built) in 18.1 s" },
  { ms: 20769, line: "Running tests with django: /opt/venv/bin/python manage.py test" },
  { ms: 28486, line: "Kept the migrated test database as template 90f6965f4912 (116 KiB in 7 ms): the next run skips migrating" },
  { ms: 29415, line: "Test container ended (exit code 0) after 29.4 s in all" },
];

describe("attributeCellTime", () => {
  it("splits a cold cell into slices that sum to its wall time, the environment's steps each their own", () => {
    const slices = attributeCellTime(COLD, 29_700);
    expect(slices.map((s) => [s.slice, s.ms])).toEqual([
      ["checkout", 853],
      ["environment: Django version, base image, key", 1060],
      ["environment: resolve (uv, host)", 2186],
      ["environment: download (host, sha256-checked)", 1715],
      ["environment: install (container: venv, unpack, link)", 12359],
      ["environment: record", 41],
      ["environment: hand-over (image, cell log)", 3],
      ["test container: create, start, harness start", 2552],
      ["tests (the harness's run, migrations included)", 7717],
      ["test container: exit", 929],
      ["after the container: results, clean-up", 285],
    ]);
    expect(slices.reduce((sum, s) => sum + s.ms, 0)).toBe(29_700);
  });

  it("merges the slices of milestones a warm cell never logs into the next one", () => {
    const warm = [
      { ms: 700, line: "Checked out in 0.7 s" },
      { ms: 760, line: "Environment 387ec09cf42a on ponyci/python:3.11 (Django 5.2.19, cached) in 0.1 s" },
      { ms: 1900, line: "Running tests with django: /opt/venv/bin/python manage.py test" },
      { ms: 4000, line: "Test container ended (exit code 0) after 3.3 s in all" },
    ];
    const slices = attributeCellTime(warm, 4200);
    expect(slices[1]).toEqual({
      slice: "environment: Django version, base image, key + environment: resolve (uv, host) + environment: download (host, sha256-checked) + environment: install (container: venv, unpack, link) + environment: record + environment: hand-over (image, cell log)",
      ms: 60,
    });
    expect(slices.at(-1)).toEqual({ slice: "test container: exit + after the container: results, clean-up", ms: 200 });
    expect(slices.reduce((sum, s) => sum + s.ms, 0)).toBe(4200);
  });
});
