-- Requests, the decisions on them, the grants they produced, the audit trail and the durable jobs.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE requests (
  id                 TEXT PRIMARY KEY,
  requester_id       TEXT    NOT NULL,
  target_id          TEXT    NOT NULL,
  reason             TEXT    NOT NULL,
  duration_minutes   INTEGER NOT NULL CHECK (duration_minutes >= 1),
  required_approvals INTEGER NOT NULL CHECK (required_approvals >= 1),
  state              TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'active', 'ended', 'denied', 'cancelled', 'timed_out', 'failed')),
  version            INTEGER NOT NULL,
  created_at         INTEGER NOT NULL,
  pending_until      INTEGER NOT NULL,
  decided_at         INTEGER,
  cancelled_at       INTEGER,
  failure            TEXT,
  ending_reason      TEXT CHECK (ending_reason IN ('expired', 'released', 'revoked')),
  ending_by          TEXT,
  ending_at          INTEGER,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX requests_by_state ON requests (state, pending_until);
CREATE INDEX requests_by_requester ON requests (requester_id, created_at);

CREATE TABLE decisions (
  request_id  TEXT    NOT NULL REFERENCES requests (id),
  approver_id TEXT    NOT NULL,
  decision    TEXT    NOT NULL CHECK (decision IN ('approve', 'deny')),
  comment     TEXT,
  decided_at  INTEGER NOT NULL,
  PRIMARY KEY (request_id, approver_id)
);

CREATE TABLE grants (
  request_id   TEXT    PRIMARY KEY REFERENCES requests (id),
  kind         TEXT    NOT NULL CHECK (kind IN ('pim_group', 'group_membership')),
  group_id     TEXT    NOT NULL,
  principal_id TEXT    NOT NULL,
  reference    TEXT,
  granted_at   INTEGER NOT NULL,
  ends_at      INTEGER NOT NULL,
  ended_at     INTEGER,
  end_reason   TEXT CHECK (end_reason IN ('expired', 'released', 'revoked'))
);
CREATE INDEX grants_open_by_end ON grants (ends_at) WHERE ended_at IS NULL;

-- Append-only: every row carries the hash of the one before it, so an edited or deleted row is detectable.
CREATE TABLE audit_events (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  at           INTEGER NOT NULL,
  request_id   TEXT REFERENCES requests (id),
  actor        TEXT    NOT NULL,
  action       TEXT    NOT NULL,
  state_before TEXT,
  state_after  TEXT,
  detail       TEXT    NOT NULL DEFAULT '{}',
  prev_hash    TEXT    NOT NULL,
  hash         TEXT    NOT NULL
);
CREATE INDEX audit_events_by_request ON audit_events (request_id, seq);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT    NOT NULL CHECK (kind IN ('grant', 'revoke', 'notify')),
  request_id   TEXT    NOT NULL REFERENCES requests (id),
  event        TEXT,
  state        TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  run_at       INTEGER NOT NULL,
  locked_until INTEGER,
  last_error   TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_by_request ON jobs (request_id);
