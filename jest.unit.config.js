import base from "./jest.config.js";

/**
 * `npm run test:unit`: the tests that need no Docker, no pip downloads and no
 * child server processes — pure functions, SQLite, git, in-process HTTP
 * fakes — for feedback in well under a minute. `npm test` (jest.config.js)
 * stays the full suite CI runs. A new Docker-backed or process-spawning test
 * file goes in this list (or in one of its directories).
 * @type {import('jest').Config}
 */
export default {
  ...base,
  displayName: "unit",
  testTimeout: 60_000,
  testPathIgnorePatterns: [
    "/node_modules/",
    // Cells in Docker: the runner, the environment builder, the base images.
    "<rootDir>/test/runner/(run-cell|hostile)\\.test\\.ts$",
    "<rootDir>/test/environment/create-environment-builder\\.test\\.ts$",
    "<rootDir>/test/images/",
    // The Django/pytest harness against real venvs (pip downloads).
    "<rootDir>/test/harness/harness-(django|pytest)\\.test\\.ts$",
    // The app and the bridge end to end: servers that run cells in Docker.
    "<rootDir>/test/github/(app-e2e|app-events|app-versions|infrastructure-retry)\\.test\\.ts$",
    "<rootDir>/test/bridge/(bridge-push|bridge-downstream|serve-wiring)\\.test\\.ts$",
    // The compiled CLI and whole servers in child processes, killed and restarted.
    "<rootDir>/test/cli/",
    "<rootDir>/test/recovery/",
    // Issue 27: containers, a runner host on the machine's Docker, `ponyci serve` in a child process, compose.
    "<rootDir>/test/runner/reap-containers\\.test\\.ts$",
    "<rootDir>/test/remote/runner-health\\.test\\.ts$",
    "<rootDir>/test/server/sighup-process\\.test\\.ts$",
    "<rootDir>/test/deploy/compose-e2e\\.test\\.ts$",
    // Issue 28: one cell's shards on two `ponyci runner` processes, one killed.
    "<rootDir>/test/shard/shard-across-runners\\.test\\.ts$",
  ],
};
