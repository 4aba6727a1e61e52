import type { Clock } from "../domain/clock.js";
import type { StoreCore } from "../store/store-core.js";
import type { OutboxKind, OutboxRecord, OutboxState } from "./outbox.js";
import { priorityOf } from "./priority-of.js";

export interface DueWrite {
  id: number;
  key: string;
  kind: OutboxKind;
  payload: unknown;
  attempts: number;
  inDoubt: boolean;
}

/** The outbox table's SQL: each function one statement or one transaction. */
export interface OutboxRows {
  /** Inserts a pending write, superseding what it replaces (see `Outbox`). */
  insert(write: { key: string; kind: OutboxKind; payload: unknown; coalesce: boolean }): number;
  /** The next write to send now: the oldest unsent of its key, due, completions first. */
  nextDue(): DueWrite | undefined;
  /** When the next head-of-key write becomes due; undefined when nothing is pending. */
  nextDueAt(): number | undefined;
  markSending(id: number): void;
  markSent(id: number, response: unknown): void;
  markFailed(id: number, error: string): void;
  markRetry(id: number, error: string, at: number): void;
  /** The response of the key's latest sent create. */
  createdResponse(key: string): unknown;
  /** Writes left "sending" by a stopped process become pending again, in doubt. Returns how many. */
  resetInFlight(): number;
  /** Counts writes pending or being sent. */
  unsent(): number;
  list(key?: string): OutboxRecord[];
  /** Writes whose key starts with `prefix`, of any lane, oldest first. */
  listByPrefix(prefix: string): OutboxRecord[];
  /** Deletes sent, failed and superseded writes older than `olderThanMs`. */
  prune(olderThanMs: number): number;
}

interface Row {
  id: number;
  key: string;
  kind: string;
  payload_json: string;
  state: OutboxState;
  attempts: number;
  in_doubt: number;
  created_at: number;
  done_at: number | null;
  last_error: string | null;
  response_json: string | null;
}

/** Not superseded by an earlier unsent write of the same key. */
const IS_HEAD = `NOT EXISTS (SELECT 1 FROM outbox p WHERE p.key = o.key AND p.state IN ('pending', 'sending') AND p.id < o.id)`;

/**
 * Which keys a dispatcher owns, by prefix: one lane per dispatcher, so a slow
 * channel (a mail server that hangs) never delays another's writes (GitHub's).
 */
export type OutboxLane = { only: string } | { except: readonly string[] };

/** The lane as SQL on `o.key`; prefixes are the code's own constants, checked here, never input. */
function laneSql(lane: OutboxLane | undefined): string {
  if (!lane) return "1";
  const prefixes = "only" in lane ? [lane.only] : lane.except;
  for (const prefix of prefixes) if (!/^[a-z-]+:$/.test(prefix)) throw new Error(`outbox: bad lane prefix ${JSON.stringify(prefix)}`);
  const likes = prefixes.map((prefix) => `o.key LIKE '${prefix}%'`);
  if ("only" in lane) return likes.join(" OR ");
  return likes.length === 0 ? "1" : `NOT (${likes.join(" OR ")})`;
}

export function createOutboxRows(core: StoreCore, clock: Clock = core.clock, lane?: OutboxLane): OutboxRows {
  const db = core.sqlite;
  const inLane = `(${laneSql(lane)})`;
  const now = (): number => clock.now();
  const supersedeCoalescable = db.prepare<[number, string]>(
    `UPDATE outbox SET state = 'superseded', done_at = ? WHERE key = ? AND state = 'pending' AND coalesce = 1`,
  );
  const insert = db.prepare<[string, string, number, number, string, number, number]>(
    `INSERT INTO outbox (key, kind, priority, coalesce, payload_json, state, next_attempt_at, created_at)
     VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`,
  );
  const nextDue = db.prepare<[number], Row>(
    `SELECT * FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND ${inLane} AND ${IS_HEAD}
     ORDER BY o.priority DESC, o.id LIMIT 1`,
  );
  const nextDueAt = db.prepare<[], { at: number | null }>(
    `SELECT min(o.next_attempt_at) AS at FROM outbox o WHERE o.state = 'pending' AND ${inLane} AND ${IS_HEAD}`,
  );
  const markSending = db.prepare<[number]>("UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?");
  const markSent = db.prepare<[number, string | null, number]>(
    "UPDATE outbox SET state = 'sent', done_at = ?, response_json = ?, in_doubt = 0 WHERE id = ?",
  );
  const markFailed = db.prepare<[number, string, number]>(
    "UPDATE outbox SET state = 'failed', done_at = ?, last_error = ?, in_doubt = 0 WHERE id = ?",
  );
  const markRetry = db.prepare<[string, number, number]>(
    "UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ?, in_doubt = 0 WHERE id = ?",
  );
  const created = db.prepare<[string], { response_json: string | null }>(
    "SELECT response_json FROM outbox WHERE key = ? AND kind = 'create' AND state = 'sent' ORDER BY id DESC LIMIT 1",
  );
  const resetInFlight = db.prepare(
    `UPDATE outbox AS o SET state = 'pending', in_doubt = 1, last_error = 'in flight when the process stopped' WHERE o.state = 'sending' AND ${inLane}`,
  );
  const unsent = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM outbox o WHERE o.state IN ('pending', 'sending') AND ${inLane}`);
  const listAll = db.prepare<[], Row>(`SELECT * FROM outbox o WHERE ${inLane} ORDER BY id`);
  const listPrefix = db.prepare<[string], Row>("SELECT * FROM outbox WHERE key LIKE ? ESCAPE '\\' ORDER BY id");
  const listKey = db.prepare<[string], Row>("SELECT * FROM outbox WHERE key = ? ORDER BY id");
  const prune = db.prepare<[number]>(`DELETE FROM outbox AS o WHERE o.state IN ('sent', 'failed', 'superseded') AND o.done_at < ? AND ${inLane}`);

  return {
    insert: ({ key, kind, payload, coalesce }) =>
      core.transact(`record a ${kind} write for ${key}`, () => {
        if (coalesce || kind === "complete") supersedeCoalescable.run(now(), key);
        const at = now();
        return Number(insert.run(key, kind, priorityOf(kind), coalesce ? 1 : 0, JSON.stringify(payload ?? null), at, at).lastInsertRowid);
      }),
    nextDue: () =>
      core.read("read the outbox", () => {
        const row = nextDue.get(now());
        return row
          ? { id: row.id, key: row.key, kind: row.kind, payload: JSON.parse(row.payload_json) as unknown, attempts: row.attempts, inDoubt: row.in_doubt === 1 }
          : undefined;
      }),
    nextDueAt: () => core.read("read the outbox", () => nextDueAt.get()?.at ?? undefined),
    markSending: (id) => core.transact("record a write as in flight", () => void markSending.run(id)),
    markSent: (id, response) =>
      core.transact("record a write as sent", () => void markSent.run(now(), response === undefined ? null : JSON.stringify(response), id)),
    markFailed: (id, error) => core.transact("record a write as failed", () => void markFailed.run(now(), error, id)),
    markRetry: (id, error, at) => core.transact("record a write for retry", () => void markRetry.run(error, at, id)),
    createdResponse: (key) =>
      core.read("read the outbox", () => {
        const json = created.get(key)?.response_json;
        return json ? (JSON.parse(json) as unknown) : undefined;
      }),
    resetInFlight: () => core.transact("resume writes in flight", () => resetInFlight.run().changes),
    unsent: () => core.read("count unsent writes", () => (unsent.get() as { n: number }).n),
    list: (key) => core.read("list the outbox", () => (key === undefined ? listAll.all() : listKey.all(key)).map(toRecord)),
    listByPrefix: (prefix) => core.read("list the outbox", () => listPrefix.all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`).map(toRecord)),
    prune: (olderThanMs) => core.transact("prune the outbox", () => prune.run(now() - olderThanMs).changes),
  };
}

function toRecord(row: Row): OutboxRecord {
  const record: OutboxRecord = {
    id: row.id,
    key: row.key,
    kind: row.kind,
    payload: JSON.parse(row.payload_json) as unknown,
    state: row.state,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
  if (row.done_at !== null) record.doneAt = row.done_at;
  if (row.last_error !== null) record.lastError = row.last_error;
  if (row.response_json !== null) record.response = JSON.parse(row.response_json) as unknown;
  return record;
}
