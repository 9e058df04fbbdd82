-- As migrations/0009 for SQLite: what each end did to the membership, and the recent ends of one membership.
ALTER TABLE grants ADD COLUMN removal TEXT CHECK (removal IN ('removed', 'absent', 'kept', 'held'));
CREATE INDEX grants_ended_by_member ON grants (lower(group_id), lower(principal_id), ended_at) WHERE ended_at IS NOT NULL;
