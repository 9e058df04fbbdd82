-- ServiceNow change records: the change opened for a request of a target with change_record (its sys_id, its
-- number, where it stands) and what the bot last failed to do with it, and a job kind of its own that keeps the
-- change in step with the request. The jobs table is rebuilt with the new kind allowed, as in 0010 (SQLite cannot
-- change a CHECK constraint in place).
ALTER TABLE requests ADD COLUMN change_sys_id TEXT;
ALTER TABLE requests ADD COLUMN change_number TEXT;
ALTER TABLE requests ADD COLUMN change_state TEXT;
ALTER TABLE requests ADD COLUMN change_problem TEXT;

CREATE TABLE jobs_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT    NOT NULL CHECK (kind IN ('grant', 'revoke', 'cleanup', 'change_record', 'sign_out', 'notify')),
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
INSERT INTO jobs_new (id, kind, request_id, event, state, attempts, run_at, locked_until, last_error, created_at, updated_at)
  SELECT id, kind, request_id, event, state, attempts, run_at, locked_until, last_error, created_at, updated_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_running ON jobs (state, locked_until);
CREATE INDEX jobs_queued_by_kind ON jobs (kind, run_at) WHERE state = 'queued';
CREATE INDEX jobs_by_request ON jobs (request_id);
