-- The Boundary step of an end becomes a job kind of its own ('sign_out'), so the scheduler can keep it out of
-- the slots Entra removals need: a slow Boundary must never delay the end of anyone's Entra access. Boundary
-- steps queued before this release stay 'revoke' jobs, and still run as such.
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('grant', 'revoke', 'sign_out', 'notify'));
