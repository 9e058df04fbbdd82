-- The Boundary step of an end becomes a job kind of its own ('sign_out'), so the scheduler can keep it out of
-- the slots Entra removals need: a slow Boundary must never delay the end of anyone's Entra access. SQLite
-- cannot change a CHECK constraint in place, so the table is rebuilt as it was, with the new kind allowed.
-- Boundary steps queued before this release stay 'revoke' jobs, and still run as such.
CREATE TABLE jobs_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT    NOT NULL CHECK (kind IN ('grant', 'revoke', 'sign_out', 'notify')),
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
