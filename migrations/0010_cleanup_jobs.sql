-- Each job kind has one meaning. The removal of what a failed grant's call may have left becomes a kind of its
-- own ('cleanup'); until now it was a 'revoke' job on a failed request, and a Boundary step queued before
-- sign-outs had a kind of their own was a 'revoke' job on an ended request. The table is rebuilt with the new
-- kind allowed (SQLite cannot change a CHECK constraint in place), then the jobs still to run are given the kind
-- that says what they do. Finished jobs keep the kind they ran as.
CREATE TABLE jobs_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT    NOT NULL CHECK (kind IN ('grant', 'revoke', 'cleanup', 'sign_out', 'notify')),
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
-- Lost when 0006 rebuilt the table: the jobs of one request, read when a request's history is shown.
CREATE INDEX jobs_by_request ON jobs (request_id);

UPDATE jobs SET kind = 'cleanup'
  WHERE kind = 'revoke' AND state IN ('queued', 'running') AND request_id IN (SELECT id FROM requests WHERE state = 'failed');
UPDATE jobs SET kind = 'sign_out'
  WHERE kind = 'revoke' AND state IN ('queued', 'running') AND request_id IN (SELECT id FROM requests WHERE state = 'ended');
