-- Extensions of an active grant. The minutes extensions have added so far (NULL: none), and the latest
-- extension asked for with its decision (NULL while the approvers have still to decide); every step is in the
-- audit trail too. The grant's end itself stays in grants.ends_at, which an extension moves (the triggers of
-- 0008 copy it onto the request, where the deadline indexes read it).
ALTER TABLE requests ADD COLUMN extended_minutes INTEGER;
ALTER TABLE requests ADD COLUMN extension_minutes INTEGER;
ALTER TABLE requests ADD COLUMN extension_reason TEXT;
ALTER TABLE requests ADD COLUMN extension_asked_at INTEGER;
ALTER TABLE requests ADD COLUMN extension_approvals TEXT;
ALTER TABLE requests ADD COLUMN extension_result TEXT CHECK (extension_result IN ('granted', 'denied'));
ALTER TABLE requests ADD COLUMN extension_decided_by TEXT;
ALTER TABLE requests ADD COLUMN extension_decided_at INTEGER;
ALTER TABLE requests ADD COLUMN extension_comment TEXT;

-- A job kind of its own moves the end Entra keeps for an extended PIM assignment ('extend'). The table is
-- rebuilt with the kind allowed, as 0010 did (SQLite cannot change a CHECK constraint in place).
CREATE TABLE jobs_new (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT    NOT NULL CHECK (kind IN ('grant', 'revoke', 'cleanup', 'extend', 'change_record', 'sign_out', 'notify')),
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
