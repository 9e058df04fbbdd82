-- The grant call is journaled before it is first sent (what it asked for, and when), so an "already exists"
-- answer can be told apart: the bot's own retried call, or access the person held before. A failed request
-- whose call may have landed records what its cleanup found; an end that left a membership in place records
-- the request that still covers it.
ALTER TABLE requests ADD COLUMN grant_sent_at INTEGER;
ALTER TABLE requests ADD COLUMN grant_kind TEXT CHECK (grant_kind IN ('pim_group', 'group_membership'));
ALTER TABLE requests ADD COLUMN grant_group_id TEXT;
ALTER TABLE requests ADD COLUMN cleanup_at INTEGER;
ALTER TABLE requests ADD COLUMN cleanup_result TEXT CHECK (cleanup_result IN ('removed', 'absent', 'covered', 'standing'));
ALTER TABLE requests ADD COLUMN kept_by TEXT;

-- Who holds (or is about to hold) a membership: the overlap check runs on every grant and every end.
CREATE INDEX grants_by_member ON grants (group_id, principal_id) WHERE ended_at IS NULL;
CREATE INDEX requests_by_grant_call ON requests (grant_group_id, principal_id) WHERE state = 'approved';

-- Who the access is for, as the approvers are shown it (the Entra UPN) and as Boundary may know them (the
-- Slack profile email); and what ending the person's Boundary sign-ins found, once it is done.
ALTER TABLE requests ADD COLUMN principal_name TEXT;
ALTER TABLE requests ADD COLUMN requester_email TEXT;
ALTER TABLE requests ADD COLUMN signed_out_at INTEGER;
ALTER TABLE requests ADD COLUMN signed_out_tokens INTEGER;
ALTER TABLE requests ADD COLUMN signed_out_sessions INTEGER;
ALTER TABLE requests ADD COLUMN signed_out_other_accounts INTEGER;
