-- The overlap check (who else holds this membership) compares group and person ids case-insensitively, as
-- Graph does, with lower() on both sides. The indexes of 0004 are on the raw columns, which such a comparison
-- cannot use: every grant and every end scanned all active grants (8 ms each with 10,000 of them, capping
-- revocations near 120 a second). These index the same expressions the query compares, as PostgreSQL's do.
DROP INDEX grants_by_member;
CREATE INDEX grants_by_member ON grants (lower(group_id), lower(principal_id)) WHERE ended_at IS NULL;
DROP INDEX requests_by_grant_call;
CREATE INDEX requests_by_grant_call ON requests (lower(grant_group_id), lower(principal_id)) WHERE state = 'approved';

-- Claiming takes the due jobs of one kind at a time, oldest first (revocations, then grants, then messages).
CREATE INDEX jobs_queued_by_kind ON jobs (kind, run_at) WHERE state = 'queued';
