import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import nock from "nock";
import { classifyHttpFailure } from "../../src/outbox/classify-http-failure.js";
import { createOutbox } from "../../src/outbox/create-outbox.js";
import type { SendWrite } from "../../src/outbox/outbox.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { GITHUB_API_URL, nockGitHub } from "../support/github-api-fake.js";
import { makeTempDir } from "../store/temp-dir.js";
import { createFakeClock } from "./fake-clock.js";

/**
 * A minimal check-run writer over fetch: what the GitHub layer does, reduced
 * to what the outbox needs. Creates POST; later writes PATCH the id the
 * create's response carried (`context.created`).
 */
const sendCheckRun: SendWrite = async (write, context) => {
  const created = context.created as { id: number } | undefined;
  const url =
    write.kind === "create"
      ? `${GITHUB_API_URL}/repos/o/app/check-runs`
      : `${GITHUB_API_URL}/repos/o/app/check-runs/${created?.id ?? "unknown"}`;
  const response = await fetch(url, {
    method: write.kind === "create" ? "POST" : "PATCH",
    headers: { "content-type": "application/json", authorization: "token ghs_test" },
    body: JSON.stringify(write.payload),
  });
  if (!response.ok) return classifyHttpFailure({ status: response.status, headers: response.headers, message: await response.text() });
  const body = (await response.json()) as { id: number };
  return { status: "sent", response: { id: body.id } };
};

describe("outbox against GitHub's HTTP API (faked with nock)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  beforeEach(() => {
    nock.disableNetConnect();
    temp = makeTempDir("ponyci-outbox-");
    store = openStore({ dataDir: temp.dir });
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    store.close();
    temp.remove();
  });

  it("a completion answered 502 then 200 reaches GitHub exactly once, after its create", async () => {
    const unmatched: unknown[] = [];
    const onNoMatch = (request: unknown): void => void unmatched.push(request);
    nock.emitter.on("no match", onNoMatch);
    const github = nockGitHub({ firstCheckRunId: 4242 })
      .createCheckRun("o", "app")
      .intercept(
        "PATCH",
        "/repos/{owner}/{repo}/check-runs/{check_run_id}",
        { owner: "o", repo: "app", check_run_id: 4242 },
        { status: 502, body: { message: "Server Error" } },
      )
      .updateCheckRun("o", "app", 4242);
    const clock = createFakeClock();
    const outbox = createOutbox({ store, send: sendCheckRun, clock, backoff: () => 2_000 });
    try {
      outbox.enqueue({
        key: "check-run:1-1",
        kind: "create",
        payload: { name: "Python 3.11 · Django 5.2", head_sha: "a".repeat(40), status: "queued", external_id: "1-1" },
      });
      outbox.enqueue({
        key: "check-run:1-1",
        kind: "complete",
        payload: { status: "completed", conclusion: "success", output: { title: "12 passed", summary: "All 12 tests passed." } },
      });
      outbox.start();
      await outbox.drain();
    } finally {
      await outbox.stop();
      nock.emitter.removeListener("no match", onNoMatch);
    }
    github.assertDone();
    expect(unmatched).toEqual([]);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /repos/o/app/check-runs",
      "PATCH /repos/o/app/check-runs/4242",
      "PATCH /repos/o/app/check-runs/4242",
    ]);
    expect(outbox.list("check-run:1-1").map((w) => [w.kind, w.state, w.attempts])).toEqual([
      ["create", "sent", 1],
      ["complete", "sent", 2],
    ]);
    expect(outbox.list()[1]?.lastError).toMatch(/HTTP 502/);
    expect(clock.sleeps).toContain(2_000);
  });
});
