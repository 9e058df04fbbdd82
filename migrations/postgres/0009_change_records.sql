-- As migrations/0011 for SQLite: the ServiceNow change opened for a request (sys_id, number, state) and what the
-- bot last failed to do with it, and the change_record job kind that keeps the change in step with the request.
ALTER TABLE requests ADD COLUMN change_sys_id TEXT;
ALTER TABLE requests ADD COLUMN change_number TEXT;
ALTER TABLE requests ADD COLUMN change_state TEXT;
ALTER TABLE requests ADD COLUMN change_problem TEXT;
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check
  CHECK (kind IN ('grant', 'revoke', 'cleanup', 'change_record', 'sign_out', 'notify'));
