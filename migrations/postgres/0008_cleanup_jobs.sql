-- As migrations/0010 for SQLite: the removal of what a failed grant's call may have left becomes a job kind of
-- its own ('cleanup'), and the jobs still to run that were queued as 'revoke' for a failed request (a cleanup)
-- or an ended one (a Boundary step from before sign-outs had a kind) get the kind that says what they do.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('grant', 'revoke', 'cleanup', 'sign_out', 'notify'));
UPDATE jobs SET kind = 'cleanup'
  WHERE kind = 'revoke' AND state IN ('queued', 'running') AND request_id IN (SELECT id FROM requests WHERE state = 'failed');
UPDATE jobs SET kind = 'sign_out'
  WHERE kind = 'revoke' AND state IN ('queued', 'running') AND request_id IN (SELECT id FROM requests WHERE state = 'ended');
