/**
 * Jest runs the TypeScript ESM tests through ts-jest's ESM preset; Node 20
 * needs NODE_OPTIONS=--experimental-vm-modules (set by `npm test`).
 * Docker-backed tests are slow by nature (and these machines are shared), hence
 * the generous default timeout.
 * @type {import('jest').Config}
 */
export default {
  preset: "ts-jest/presets/default-esm",
  testEnvironment: "node",
  // Jest 30 "soft deletes" what a test file left on shared globals and wraps
  // it in an accessor whose setter calls itself: signal-exit (execa's and
  // proper-lockfile's exit hooks) keeps one emitter on `process` for the
  // whole process, so the next file that bumps its count died with "Maximum
  // call stack size exceeded". Nothing here relies on the cleanup.
  testEnvironmentOptions: { globalsCleanup: "off" },
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.test.json" }],
  },
  testTimeout: 300_000,
  setupFilesAfterEnv: ["<rootDir>/test/support/restore-nock.ts"],
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/support/totals-reporter.cjs"],
};
