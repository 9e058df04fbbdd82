-- The requester's Entra object id, resolved when the request is made (before approvers see it), and when the
-- "expiring soon" warning went out, so it goes out once.
ALTER TABLE requests ADD COLUMN principal_id TEXT;
ALTER TABLE requests ADD COLUMN expiry_warned_at INTEGER;

-- A running job whose lease ran out (its worker died) is found here and run again.
CREATE INDEX jobs_running ON jobs (state, locked_until);
