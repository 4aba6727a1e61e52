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
