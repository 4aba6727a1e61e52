import { describe, expect, it } from "@jest/globals";
import { Readable } from "node:stream";
import { html, escapeHtml } from "../../src/util/html.js";
import { createSessionCodec, type Session } from "../../src/web/session-codec.js";
import { checkPassword, checkToken, hashPassword, parseWebUsers, WebUsersError } from "../../src/web/web-users.js";
import { parseLogCursor } from "../../src/web/open-event-stream.js";
import { safeReturnPath, checkCsrf } from "../../src/web/web-request.js";
import { renderBadge } from "../../src/web/render-badge.js";
import { createLiveHub, type JobLiveEvent } from "../../src/web/create-live-hub.js";
import { hashPasswordCommand } from "../../src/cli/hash-password-command.js";
import type { BuildRecord } from "../../src/store/build-rows.js";
import type { JobRecord } from "../../src/store/job-rows.js";

describe("html templates", () => {
  it.each([
    [`<script>alert(1)</script>`, "&lt;script&gt;alert(1)&lt;/script&gt;"],
    [`" onmouseover="x`, "&quot; onmouseover=&quot;x"],
    [`'&`, "&#39;&amp;"],
  ])("escapes %j in text and attributes", (input, escaped) => {
    expect(html`<p title="${input}">${input}</p>`.value).toBe(`<p title="${escaped}">${escaped}</p>`);
    expect(escapeHtml(input)).toBe(escaped);
  });
  it("keeps nested templates and lists as markup, drops undefined and false", () => {
    expect(html`<ul>${["<a>", "b"].map((x) => html`<li>${x}</li>`)}</ul>${undefined}${false}`.value).toBe("<ul><li>&lt;a&gt;</li><li>b</li></ul>");
  });
});

describe("session cookies", () => {
  const codec = createSessionCodec("k".repeat(40));
  const session: Session = { viewer: { kind: "local", name: "alice", role: "operator" }, csrf: "token", exp: 2_000 };
  it("opens what it sealed, until it expires", () => {
    const sealed = codec.seal(session);
    expect(codec.open(sealed, 1_000)).toEqual(session);
    expect(codec.open(sealed, 2_001)).toBeUndefined();
  });
  it("refuses every changed byte, a cookie of another key, and garbage", () => {
    const sealed = codec.seal(session);
    const raw = Buffer.from(sealed, "base64url");
    for (let i = 0; i < raw.length; i += 7) {
      const copy = Buffer.from(raw);
      copy[i] = (copy[i] ?? 0) ^ 1;
      expect(codec.open(copy.toString("base64url"), 1_000)).toBeUndefined();
    }
    expect(createSessionCodec("other".repeat(8)).open(sealed, 1_000)).toBeUndefined();
    for (const junk of [undefined, "", "x", "a".repeat(9000), Buffer.from(JSON.stringify(session)).toString("base64url")]) expect(codec.open(junk, 1_000)).toBeUndefined();
  });
  it("compares CSRF tokens exactly", () => {
    expect(checkCsrf(session, "token")).toBe(true);
    for (const wrong of [undefined, "", "tokem", "token ", "toke"]) expect(checkCsrf(session, wrong)).toBe(false);
  });
});

describe("the users file", () => {
  const good = `users:\n  - name: alice\n    password: "${hashPassword("secret pass", Buffer.from("salt"))}"\n    role: operator\ntokens:\n  - name: bot\n    sha256: ${"ab".repeat(32)}\ngithub:\n  - login: OctoCat\n`;
  it("reads users, tokens and GitHub logins; checks passwords and tokens", async () => {
    const users = parseWebUsers(good);
    expect(users.users.map((u) => [u.name, u.role])).toEqual([["alice", "operator"]]);
    expect(users.github).toEqual([{ login: "octocat", role: "viewer" }]);
    expect((await checkPassword(users, "alice", "secret pass"))?.name).toBe("alice");
    expect(await checkPassword(users, "alice", "secret pasS")).toBeUndefined();
    expect(await checkPassword(users, "mallory", "secret pass")).toBeUndefined();
    expect(checkToken(users, "anything")).toBeUndefined();
  });
  it.each([
    ["users: {}", /users must be a list/],
    ["admins: []", /unknown key "admins"/],
    ["users:\n  - name: alice\n    password: plain\n", /password is missing or malformed/],
    ["users:\n  - name: alice\n    password: \"scrypt:YQ==:YQ==\"\n    role: root\n", /role must be viewer or operator/],
    ["tokens:\n  - name: t\n    sha256: abc\n", /sha256 is missing or malformed/],
    ["github:\n  - login: 'a b'\n", /login is missing or malformed/],
    ["[a", /not YAML/],
  ])("refuses %j saying what is wrong", (text, message) => {
    expect(() => parseWebUsers(text)).toThrow(WebUsersError);
    expect(() => parseWebUsers(text)).toThrow(message);
  });
  it("ponyci hash-password prints a line the file accepts and that matches the password", async () => {
    let out = "";
    const code = await hashPasswordCommand({ stdin: Readable.from(["hunter2 hunter2\n"]), out: { write: (t) => void (out += t) }, err: { write: () => undefined } });
    expect(code).toBe(0);
    const users = parseWebUsers(`users:\n  - name: carol\n    password: "${out.trim()}"\n`);
    expect((await checkPassword(users, "carol", "hunter2 hunter2"))?.name).toBe("carol");
  });
});

describe("small parsers", () => {
  it.each([
    ["3.120", { attempt: 3, line: 120 }],
    ["1.0", { attempt: 1, line: 0 }],
    ["", undefined],
    ["3", undefined],
    ["3.1.2", undefined],
    ["-1.2", undefined],
    ["1.99999999999", undefined],
  ])("log cursor %j", (text, cursor) => expect(parseLogCursor(text)).toEqual(cursor));
  it.each([
    ["/builds/3", "/builds/3"],
    ["//evil.example", "/"],
    ["/\\evil.example", "/"],
    ["https://evil.example", "/"],
    ["/a b", "/"],
    [null, "/"],
  ])("return path %j", (text, path) => expect(safeReturnPath(text)).toBe(path));
  it("badges escape their label", () => {
    const svg = renderBadge(`<b>&`, "success");
    expect(svg).toContain("&lt;b&gt;&amp;");
    expect(svg).not.toContain("<b>");
  });
});

describe("the live hub", () => {
  const build = { id: 1, repo: "r", source: "bridge", visibility: "public", status: { state: "running", jobs: 1 } } as BuildRecord;
  const job = { id: "j", buildId: 1, attempts: 1, state: "running" } as JobRecord;
  it("keeps a running job's lines up to the log limit, and a watcher gets the lines not in its snapshot, once", async () => {
    const hub = createLiveHub({ logLimitBytes: 14 });
    hub.started?.(build, job);
    hub.logLine?.(build, job, "one");
    await new Promise((r) => setImmediate(r));
    hub.logLine?.(build, job, "two");
    const events: JobLiveEvent[] = [];
    const watch = hub.watchJob("j", (e) => events.push(e));
    expect(watch.snapshot?.lines).toEqual(["one"]);
    hub.logLine?.(build, job, "three");
    hub.logLine?.(build, job, "four over the limit");
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([{ kind: "lines", attempt: 1, first: 2, lines: ["two", "three"] }]);
    expect(hub.snapshot("j")).toMatchObject({ lines: ["one", "two", "three"], droppedLines: 1 });
    hub.finished?.({ build, job: { ...job, state: "finished", conclusion: "success" }, finished: { type: "finished", conclusion: "success", counts: { passed: 0, failed: 0, error: 0, skipped: 0, xfail: 0, xpass: 0, total: 0 }, durationMs: 1, testDurationMs: 1 }, tests: [], logTail: [] });
    expect(events.at(-1)).toEqual({ kind: "ended", state: "success" });
    expect(hub.snapshot("j")).toBeUndefined();
    watch.stop();
    expect(hub.subscribers).toBe(0);
  });

  it("counts lines printed before the container started (checkout, environment) as lines 1… of the attempt, like the store", async () => {
    const hub = createLiveHub({ logLimitBytes: 1024 });
    const events: JobLiveEvent[] = [];
    const watch = hub.watchJob("j", (e) => events.push(e));
    expect(watch.snapshot).toBeUndefined();
    hub.logLine?.(build, job, "[ponyci] Environment ponyci-env:abc (Django 5.2.3, cached)");
    hub.started?.(build, job);
    hub.logLine?.(build, job, "Found 3 tests.");
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([
      { kind: "started", attempt: 1 },
      { kind: "lines", attempt: 1, first: 1, lines: ["[ponyci] Environment ponyci-env:abc (Django 5.2.3, cached)", "Found 3 tests."] },
    ]);
    // A second attempt starts over, and says so.
    hub.retrying?.(build, job, "daemon restarted", 2);
    hub.logLine?.(build, { ...job, attempts: 2 }, "again");
    await new Promise((r) => setImmediate(r));
    expect(events.slice(2)).toEqual([{ kind: "ended", state: "queued" }, { kind: "started", attempt: 2 }, { kind: "lines", attempt: 2, first: 1, lines: ["again"] }]);
    watch.stop();
  });
});
