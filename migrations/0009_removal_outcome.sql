-- What each end did to the membership (removed, already absent, kept for another grant of the bot, held by an
-- assignment the bot did not make): reconciliation removes a membership again only where the bot's own
-- removal was never confirmed. Ends recorded before this column read as their kept_by and held_by say.
-- The second index finds the recent ends of one membership, which a grant answered "already exists" asks for.
ALTER TABLE grants ADD COLUMN removal TEXT CHECK (removal IN ('removed', 'absent', 'kept', 'held'));
CREATE INDEX grants_ended_by_member ON grants (lower(group_id), lower(principal_id), ended_at) WHERE ended_at IS NOT NULL;
