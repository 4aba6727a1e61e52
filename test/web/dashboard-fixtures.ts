import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Store } from "../../src/store/store.js";
import type { BuildRecord, NewBuild } from "../../src/store/build-rows.js";
import type { BuildRequest } from "../../src/domain/build-request.js";
import { hashPassword } from "../../src/web/web-users.js";

export const HOSTILE = `<script>alert("x")</script>&'`;
export const PASSWORD = "correct horse battery staple";

/** A users file: alice (operator), bob (viewer), an admin token, and octocat allowed to see bridge repositories. */
export function writeUsersFile(): { file: string; token: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "ponyci-web-users-"));
  const file = path.join(dir, "users.yml");
  const token = "admin-token-0123456789abcdef";
  writeFileSync(
    file,
    `users:\n  - name: alice\n    password: "${hashPassword(PASSWORD, Buffer.from("salt-of-alice"))}"\n    role: operator\n  - name: bob\n    password: "${hashPassword(PASSWORD, Buffer.from("salt-of-bob"))}"\n` +
      `tokens:\n  - name: bot\n    sha256: ${createHash("sha256").update(token).digest("hex")}\n    role: operator\ngithub:\n  - login: octocat\n`,
  );
  return { file, token };
}


/** A finished build recorded straight in the store, with a result per outcome and a log with hostile lines. */
export function recordFinishedBuild(store: Store, build: Pick<NewBuild, "repo" | "source" | "visibility"> & { branch?: string; cloneUrl?: string }): BuildRecord {
  const request: BuildRequest = { source: build.source, repo: { name: build.repo, cloneUrl: build.cloneUrl ?? "/nonexistent", visibility: build.visibility }, sha: "a".repeat(40), branch: build.branch ?? "main", event: "push" };
  const { build: record, jobs } = store.createBuild({ ...build, sha: request.sha, branch: request.branch, event: "push", trigger: { request }, jobs: [{ cell: { python: "3.11", django: "4.2" } }, { cell: { python: "3.12", django: "5.0" } }] });
  for (const [i, job] of jobs.entries()) {
    store.recordJobStarted(job.id, 1_000);
    store.addTestResults(job.id, [
      { id: `app.tests.Test.test_ok_${build.repo}`, outcome: "passed", durationMs: 120 },
      { id: `app.tests.Test.test_${HOSTILE}`, outcome: "failed", durationMs: 30, message: `AssertionError: ${HOSTILE}`, traceback: `Traceback ${HOSTILE}`, location: { path: "app/tests.py", line: 42 } },
    ]);
    store.appendLog(job.id, [`log of ${build.repo} line 1`, `printed ${HOSTILE}`]);
    // The failing cell's command failed too: its message and last output lines (issue 22 item 5), hostile as well.
    const error = i === 0 ? { message: "tox commands[0] `coverage run` exited with code 127 (no test failed)", traceback: `tox commands[0] \`coverage run\` exited with code 127\n\nIts last line of output:\ncoverage: not found ${HOSTILE}` } : undefined;
    store.recordJobFinished({ jobId: job.id, conclusion: i === 0 ? "failure" : "success", counts: { passed: 1, failed: i === 0 ? 1 : 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: i === 0 ? 2 : 1 }, at: 5_000, ...(error ? { error } : {}) });
  }
  return store.getBuild(record.id) as BuildRecord;
}
