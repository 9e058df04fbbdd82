-- As migrations/0011 for SQLite: the minutes extensions have added so far (NULL: none), and the latest
-- extension asked for with its decision (NULL while the approvers have still to decide). The grant's end stays
-- in grants.ends_at, which an extension moves (the trigger of 0005 copies it onto the request). A job kind of
-- its own ('extend') moves the end Entra keeps for an extended PIM assignment.
ALTER TABLE requests
  ADD COLUMN extended_minutes INTEGER,
  ADD COLUMN extension_minutes INTEGER,
  ADD COLUMN extension_reason TEXT,
  ADD COLUMN extension_asked_at BIGINT,
  ADD COLUMN extension_approvals TEXT,
  ADD COLUMN extension_result TEXT CHECK (extension_result IN ('granted', 'denied')),
  ADD COLUMN extension_decided_by TEXT,
  ADD COLUMN extension_decided_at BIGINT,
  ADD COLUMN extension_comment TEXT;
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('grant', 'revoke', 'cleanup', 'extend', 'change_record', 'sign_out', 'notify'));
