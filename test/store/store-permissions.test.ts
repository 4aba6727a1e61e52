import { describe, expect, it } from "@jest/globals";
import { statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/open-store.js";
import { makeTempDir } from "./temp-dir.js";

/** Logs and results of private repositories live here: the server's user only. */
describe("the data directory", () => {
  it("is created 0700 and the database 0600 (WAL included)", () => {
    const temp = makeTempDir();
    try {
      const dataDir = join(temp.dir, "data");
      const store = openStore({ dataDir });
      store.createBuild({ repo: "pony/app", source: "bridge", visibility: "private", sha: "a".repeat(40), event: "push", trigger: {} });
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dataDir, "ponyci.sqlite")).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, "ponyci.sqlite-wal")).mode & 0o777).toBe(0o600);
      store.close();
    } finally {
      temp.remove();
    }
  });
});
