/**
 * The schema, as a list of steps: step N (1-based) takes a database from
 * `PRAGMA user_version` N-1 to N. Steps are append-only: never edit a step
 * that has shipped, add a new one. docs/store.md describes the tables.
 */
export const migrations: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE deliveries (
    id          TEXT PRIMARY KEY,            -- X-GitHub-Delivery (or a bridge push id)
    event       TEXT NOT NULL,
    received_at INTEGER NOT NULL
  );
  CREATE INDEX deliveries_received_at ON deliveries (received_at);

  CREATE TABLE builds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- "build #123"
    repo         TEXT NOT NULL,                      -- owner/name, or a private repository's name
    source       TEXT NOT NULL CHECK (source IN ('github', 'bridge', 'cli')),
    visibility   TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    sha          TEXT NOT NULL,
    branch       TEXT,
    pr_number    INTEGER,
    event        TEXT NOT NULL,
    trigger_json TEXT NOT NULL DEFAULT '{}',
    created_at   INTEGER NOT NULL
  );
  CREATE INDEX builds_repo ON builds (repo, id);
  CREATE INDEX builds_sha ON builds (repo, sha);
  CREATE INDEX builds_visibility ON builds (visibility, id);

  CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    build_id      INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,                  -- position in its build, from 1
    cell_json     TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'finished', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    conclusion    TEXT CHECK (conclusion IN ('success', 'failure', 'cancelled', 'timed_out', 'error')),
    check_run_id  INTEGER,
    external_json TEXT NOT NULL DEFAULT '{}',
    counts_json   TEXT,
    error_json    TEXT,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    superseded_by INTEGER REFERENCES builds (id),
    UNIQUE (build_id, seq)
  );
  CREATE INDEX jobs_state ON jobs (state);

  CREATE TABLE test_results (
    job_id      TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    test_id     TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('passed', 'failed', 'error', 'skipped', 'xfail', 'xpass')),
    duration_ms INTEGER NOT NULL,
    message     TEXT,
    traceback   TEXT,
    path        TEXT,
    line        INTEGER
  );
  CREATE INDEX test_results_job ON test_results (job_id, outcome);

  CREATE TABLE job_logs (
    job_id        TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    bytes         INTEGER NOT NULL DEFAULT 0,   -- uncompressed bytes kept
    lines         INTEGER NOT NULL DEFAULT 0,   -- lines kept
    dropped_lines INTEGER NOT NULL DEFAULT 0,   -- lines over the limit, not kept
    chunks        INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE job_log_chunks (
    job_id TEXT NOT NULL REFERENCES job_logs (job_id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    gz     BLOB NOT NULL,                       -- gzip of lines joined by "\\n", with a final "\\n"
    PRIMARY KEY (job_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE queue_items (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,  -- FIFO order
    job_id          TEXT NOT NULL UNIQUE,
    payload_json    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('queued', 'running')),
    attempt         INTEGER NOT NULL DEFAULT 1,         -- of the current or next run
    available_at    INTEGER NOT NULL,                   -- not before (retry backoff)
    owner           TEXT,                               -- queue instance running it
    run_token       TEXT,                               -- this claim; a late finish of an older claim is ignored
    lease_until     INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    enqueued_at     INTEGER NOT NULL,
    last_error      TEXT
  );
  CREATE INDEX queue_items_ready ON queue_items (state, available_at, seq);

  CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT NOT NULL,                  -- "check-run:<jobId>": writes of one key go out in order
    kind            TEXT NOT NULL,                  -- create | progress | complete | ...
    priority        INTEGER NOT NULL,               -- completions first
    coalesce        INTEGER NOT NULL DEFAULT 0,
    payload_json    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'superseded')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    in_doubt        INTEGER NOT NULL DEFAULT 0,     -- was being sent when the process stopped: it may have arrived
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    done_at         INTEGER,
    last_error      TEXT,
    response_json   TEXT
  );
  CREATE INDEX outbox_key ON outbox (key, state, id);
  CREATE INDEX outbox_state ON outbox (state, next_attempt_at);
  `,
  // 2: planning is recorded: a build is stored when its event arrives (pending)
  // and planned afterwards (its repo config read, its jobs created), so an
  // event answered before a crash is still built after the restart.
  `
  ALTER TABLE builds ADD COLUMN plan_state TEXT NOT NULL DEFAULT 'planned'
    CHECK (plan_state IN ('pending', 'planned', 'config-error'));
  ALTER TABLE builds ADD COLUMN plan_json TEXT NOT NULL DEFAULT '{}';   -- matrix source, notes, config error
  CREATE INDEX builds_plan_state ON builds (plan_state);
  `,
  // 3: per-test history (issue 15). The results stay in test_results, one row
  // per test per job (a job is one attempt of one cell at one commit); these
  // indexes make them answer "this test in this repository, branch, cell":
  // a virtual column names a job's cell ("py3.13-dj5.2", "py3.13-dj5.2-postgres": cellKey()), and
  // builds are found by branch or pull request. test_results_test is on
  // test_id alone: its entries are then in rowid (arrival) order, so "the
  // newest N runs of a test" walks it backwards and stops after N.
  `
  ALTER TABLE jobs ADD COLUMN cell_key TEXT
    GENERATED ALWAYS AS ('py' || json_extract(cell_json, '$.python') || '-dj' || json_extract(cell_json, '$.django')
      || CASE WHEN coalesce(json_extract(cell_json, '$.database'), 'sqlite') = 'sqlite' THEN '' ELSE '-' || json_extract(cell_json, '$.database') END) VIRTUAL;
  CREATE INDEX jobs_build_cell ON jobs (build_id, cell_key);
  CREATE INDEX builds_branch ON builds (repo, branch, id);
  CREATE INDEX builds_pr ON builds (repo, pr_number, id);
  CREATE INDEX test_results_test ON test_results (test_id);
  `,
  // 4: tox's ignore_outcome. A neutral job keeps the tests' own verdict in
  // \`conclusion\` (the CHECK of step 1 cannot change without rebuilding the
  // table) and is read back as "neutral".
  `
  ALTER TABLE jobs ADD COLUMN outcome_ignored INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: the dashboards: builds of a branch across repositories (3 has them per
  // repository),
  // newest first, and a job's slowest tests.
  `
  CREATE INDEX builds_any_repo_branch ON builds (branch, id);
  CREATE INDEX test_results_job_duration ON test_results (job_id, duration_ms);
  `,
  // 6: a cell's failure buckets (issue 26): test intelligence's verdict on
  // each failing test (new, already failing, flaky, …), as JSON
  // (store/cell-failure-rows.ts), written with the job's end so the build
  // page and a notification decided after a restart still have them.
  `
  ALTER TABLE jobs ADD COLUMN failures_json TEXT;
  `,
  // 7: a finished job whose tests could not be read (issue 22: no runner Pony CI
  // reads, no JUnit file): its counts are zeros that mean "unknown", and pages,
  // the CLI and reports say so instead of "0 passed".
  `
  ALTER TABLE jobs ADD COLUMN counts_unknown INTEGER NOT NULL DEFAULT 0;
  `,
];
