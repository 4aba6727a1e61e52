import { afterAll } from "@jest/globals";

/**
 * Runs after every test file (jest setupFilesAfterEnv). nock patches node's
 * http module for the whole jest worker as soon as it is imported, and a
 * test file's module registry is thrown away without undoing that: later
 * files in the same worker would have their requests (Docker's unix socket
 * included: "connect ECONNREFUSED 127.0.0.1:80") routed through a dead nock.
 * So every file ends by putting http back as it was.
 */
afterAll(async () => {
  const { default: nock } = await import("nock");
  nock.cleanAll();
  nock.enableNetConnect();
  nock.restore();
});
