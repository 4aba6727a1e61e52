import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import type { Logger } from "../../src/domain/logger.js";
import { classifyHttpFailure } from "../../src/outbox/classify-http-failure.js";
import { createOutbox } from "../../src/outbox/create-outbox.js";
import type { Outbox, PendingWrite, SendContext, SendResult } from "../../src/outbox/outbox.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { makeTempDir } from "../store/temp-dir.js";
import { NOTIFY_KEY_PREFIX, NOTIFY_TARGET } from "../../src/notify/notification-write.js";
import { FORGE_KEY_PREFIX, FORGE_TARGET } from "../../src/forge/forge-status-write.js";
import { createFakeClock, type FakeClock } from "./fake-clock.js";

interface Sent {
  at: number;
  key: string;
  kind: string;
  payload: unknown;
  attempt: number;
  context: SendContext;
}

/** A scripted GitHub: answers each write with the next scripted result for its label, else "sent". */
function createScriptedSend(clock: FakeClock) {
  const sent: Sent[] = [];
  const script = new Map<string, (SendResult | Error)[]>();
  const label = (write: PendingWrite): string => `${write.kind} ${write.key}`;
  return {
    sent,
    /** The next answers to writes labelled "<kind> <key>". */
    answer: (writeLabel: string, ...results: (SendResult | Error)[]) => script.set(writeLabel, results),
    labels: () => sent.map((s) => `${s.kind} ${s.key}`),
    send: async (write: PendingWrite, context: SendContext): Promise<SendResult> => {
      sent.push({ at: clock.now(), key: write.key, kind: write.kind, payload: write.payload, attempt: write.attempt, context });
      const next = script.get(label(write))?.shift();
      if (next instanceof Error) throw next;
      return next ?? { status: "sent", response: { id: 100 + sent.length, for: write.key } };
    },
  };
}

function createRecordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const ignore = (): void => {};
  return { errors, debug: ignore, info: ignore, warn: ignore, error: (_obj, msg) => void errors.push(String(msg)) };
}

describe("outbox", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: Store;
  let clock: FakeClock;
  let github: ReturnType<typeof createScriptedSend>;
  let outbox: Outbox | undefined;
  const backoffCalls: number[] = [];
  const make = (options: { maxAttempts?: number; log?: Logger } = {}): Outbox => {
    outbox = createOutbox({
      store,
      send: github.send,
      clock,
      backoff: (attempt) => (backoffCalls.push(attempt), 1_000 * attempt),
      ...options,
    });
    return outbox;
  };
  beforeEach(() => {
    temp = makeTempDir("ponyci-outbox-");
    clock = createFakeClock();
    store = openStore({ dataDir: temp.dir, clock });
    github = createScriptedSend(clock);
    backoffCalls.length = 0;
  });
  afterEach(async () => {
    await outbox?.stop();
    outbox = undefined;
    store.close();
    temp.remove();
  });

  it("records a write before sending it", () => {
    const box = make();
    const id = box.enqueue({ key: "check-run:1-1", kind: "create", payload: { name: "cell" } });
    expect(box.list()).toEqual([
      expect.objectContaining({ id, key: "check-run:1-1", kind: "create", state: "pending", attempts: 0, payload: { name: "cell" } }),
    ]);
    expect(github.sent).toEqual([]);
  });

  it("keeps at most one pending progress per key, and drops it when the completion arrives", async () => {
    const box = make();
    box.enqueue({ key: "check-run:A", kind: "create", payload: {} });
    for (const n of [1, 2, 3]) box.enqueue({ key: "check-run:A", kind: "progress", payload: { n } });
    box.enqueue({ key: "check-run:B", kind: "progress", payload: { n: 9 } });
    expect(box.list().map((w) => [w.key, w.kind, w.state, w.payload])).toEqual([
      ["check-run:A", "create", "pending", {}],
      ["check-run:A", "progress", "superseded", { n: 1 }],
      ["check-run:A", "progress", "superseded", { n: 2 }],
      ["check-run:A", "progress", "pending", { n: 3 }],
      ["check-run:B", "progress", "pending", { n: 9 }],
    ]);
    box.enqueue({ key: "check-run:A", kind: "complete", payload: { conclusion: "success" } });
    expect(box.list("check-run:A").map((w) => w.state)).toEqual(["pending", "superseded", "superseded", "superseded", "pending"]);
    box.enqueue({ key: "check-run:A", kind: "annotations", payload: {}, coalesce: false });

    box.start();
    await box.drain();
    expect(github.labels()).toEqual([
      "create check-run:A",
      "complete check-run:A",
      "annotations check-run:A",
      "progress check-run:B",
    ]);
  });

  it("never sends a key's write before its create, hands later writes the create's response, and sends completions first", async () => {
    github.answer("create check-run:A", { status: "retry", reason: "HTTP 502" });
    const box = make();
    box.enqueue({ key: "check-run:A", kind: "create", payload: {} });
    box.enqueue({ key: "check-run:B", kind: "create", payload: {} });
    box.enqueue({ key: "check-run:B", kind: "progress", payload: { n: 1 } });
    box.enqueue({ key: "check-run:C", kind: "create", payload: {} });
    box.enqueue({ key: "check-run:A", kind: "complete", payload: { conclusion: "failure" } });
    box.enqueue({ key: "check-run:C", kind: "complete", payload: { conclusion: "success" } });
    box.start();
    await box.drain();
    expect(github.labels()).toEqual([
      "create check-run:A", // 502: A waits its backoff; nothing of A may go before it
      "create check-run:B",
      "create check-run:C",
      "complete check-run:C", // a completion before the progress of another key
      "progress check-run:B",
      "create check-run:A",
      "complete check-run:A",
    ]);
    const createA = github.sent[5];
    const completeA = github.sent[6];
    expect(completeA?.context.created).toEqual({ id: 100 + 6, for: "check-run:A" });
    expect(createA?.context.created).toBeUndefined();
    expect(createA?.attempt).toBe(2);
    expect((createA?.at ?? 0) - (github.sent[0]?.at ?? 0)).toBe(1_000);
    expect(backoffCalls).toEqual([1]);
  });

  it("honours retry-after from a rate limit instead of its own backoff", async () => {
    github.answer(
      "complete check-run:A",
      classifyHttpFailure({ status: 429, headers: { "retry-after": "30" }, message: "API rate limit exceeded" }),
      classifyHttpFailure({ status: 403, headers: { "retry-after": "7" }, message: "You have exceeded a secondary rate limit" }),
    );
    const box = make();
    box.enqueue({ key: "check-run:A", kind: "complete", payload: {} });
    box.start();
    await box.drain();
    const times = github.sent.map((s) => s.at - (github.sent[0]?.at ?? 0));
    expect(times).toEqual([0, 30_000, 37_000]);
    expect(backoffCalls).toEqual([]);
    expect(box.list()[0]).toMatchObject({ state: "sent", attempts: 3 });
  });

  it("retries network errors thrown by send, with backoff", async () => {
    github.answer("create check-run:A", Object.assign(new TypeError("fetch failed"), { cause: new Error("ECONNRESET") }));
    const box = make();
    box.enqueue({ key: "check-run:A", kind: "create", payload: {} });
    box.start();
    await box.drain();
    expect(github.sent.map((s) => [s.attempt, s.at - (github.sent[0]?.at ?? 0)])).toEqual([
      [1, 0],
      [2, 1_000],
    ]);
    expect(box.list()[0]?.state).toBe("sent");
  });

  it("does not retry a validation error (422): marks it failed, says so loudly, and moves on", async () => {
    github.answer(
      "create check-run:A",
      classifyHttpFailure({ status: 422, headers: {}, message: "Invalid request. \"name\" wasn't supplied." }),
    );
    const log = createRecordingLogger();
    const box = make({ log });
    box.enqueue({ key: "check-run:A", kind: "create", payload: {} });
    box.enqueue({ key: "check-run:B", kind: "create", payload: {} });
    box.start();
    await box.drain();
    expect(github.labels()).toEqual(["create check-run:A", "create check-run:B"]);
    expect(box.list().map((w) => [w.key, w.state, w.attempts])).toEqual([
      ["check-run:A", "failed", 1],
      ["check-run:B", "sent", 1],
    ]);
    expect(box.list()[0]?.lastError).toMatch(/HTTP 422: Invalid request/);
    expect(log.errors).toEqual(["outbox: GitHub rejected a write; it will not be retried"]);
  });

  it("gives up on a write that fails maxAttempts times", async () => {
    const failures = Array.from({ length: 5 }, () => ({ status: "retry", reason: "HTTP 503" }) as const);
    github.answer("complete check-run:A", ...failures);
    const log = createRecordingLogger();
    const box = make({ maxAttempts: 3, log });
    box.enqueue({ key: "check-run:A", kind: "complete", payload: {} });
    box.start();
    await box.drain();
    expect(github.sent).toHaveLength(3);
    expect(box.list()[0]).toMatchObject({ state: "failed", attempts: 3, lastError: "HTTP 503" });
    expect(log.errors).toEqual(["outbox: a write to GitHub kept failing; giving up"]);
  });

  it("sends after a restart what was pending, and resends what was in flight, flagged in doubt", async () => {
    const first = make();
    first.enqueue({ key: "check-run:A", kind: "create", payload: { name: "a" } });
    first.enqueue({ key: "check-run:A", kind: "complete", payload: { conclusion: "success" } });
    first.enqueue({ key: "check-run:B", kind: "create", payload: { name: "b" } });
    await first.stop();
    // As if the process died while sending B's create.
    store.sqlite.prepare("UPDATE outbox SET state = 'sending', attempts = 1 WHERE key = 'check-run:B'").run();
    store.close();

    store = openStore({ dataDir: temp.dir, clock });
    const second = make();
    second.start();
    await second.drain();
    expect(github.sent.map((s) => [s.kind, s.key, s.attempt, s.context.inDoubt])).toEqual([
      ["create", "check-run:A", 1, false],
      ["complete", "check-run:A", 1, false],
      ["create", "check-run:B", 2, true],
    ]);
    expect(second.list().every((w) => w.state === "sent")).toBe(true);
  });

  it("drain() resolves at once when nothing is pending, and refuses a stopped outbox", async () => {
    const box = make();
    await expect(box.drain()).rejects.toThrow(/needs a running outbox/);
    box.start();
    await box.drain();
    await box.stop();
    await expect(box.drain()).rejects.toThrow(/needs a running outbox \(it is stopped\)/);
  });
  it("lanes: each lane's logs name its own target, never GitHub for a mail server's or a forge's refusal", async () => {
    const logs = { notify: createRecordingLogger(), forge: createRecordingLogger() };
    const refuse = async (): Promise<SendResult> => ({ status: "rejected", reason: "550 no such user" });
    const notify = createOutbox({ store, clock, send: refuse, log: logs.notify, lane: { only: NOTIFY_KEY_PREFIX }, target: NOTIFY_TARGET });
    const forge = createOutbox({ store, clock, send: refuse, log: logs.forge, lane: { only: FORGE_KEY_PREFIX }, target: FORGE_TARGET });
    notify.enqueue({ key: `${NOTIFY_KEY_PREFIX}7:email`, kind: "email", payload: {} });
    forge.enqueue({ key: `${FORGE_KEY_PREFIX}7:ponyci`, kind: "status", payload: {} });
    notify.start();
    forge.start();
    await notify.drain();
    await forge.drain();
    await notify.stop();
    await forge.stop();
    expect(logs.notify.errors).toEqual(["outbox: the mail server or notification URL rejected a write; it will not be retried"]);
    expect(logs.forge.errors).toEqual(["outbox: the forge (Gitea, Forgejo or GitLab) rejected a write; it will not be retried"]);
  });

  it("lanes: two dispatchers on one database each send only their keys, and one that hangs never holds up the other", async () => {
    const githubSend = createScriptedSend(clock);
    let release: () => void = () => undefined;
    const notifySent: string[] = [];
    const notify = createOutbox({
      store,
      clock,
      lane: { only: "notify:" },
      send: async (write) => {
        notifySent.push(write.key);
        await new Promise<void>((resolve) => (release = resolve));
        return { status: "sent" };
      },
    });
    // The GitHub outbox of create-ponyci: every key but the notifications'.
    const gh = createOutbox({ store, clock, send: githubSend.send, lane: { except: ["notify:"] } });
    gh.enqueue({ key: "notify:7:email", kind: "email", payload: {} });
    gh.enqueue({ key: "check-run:7-1", kind: "create", payload: {} });
    notify.start();
    gh.start();
    await gh.drain();
    expect(githubSend.labels()).toEqual(["create check-run:7-1"]);
    expect(gh.backlog()).toBe(0);
    expect(notify.backlog()).toBe(1);
    expect(notifySent).toEqual(["notify:7:email"]);
    release();
    await notify.drain();
    expect(notify.list().map((w) => [w.key, w.state])).toEqual([["notify:7:email", "sent"]]);
    await notify.stop();
    await gh.stop();
  });
});
