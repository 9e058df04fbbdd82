-- An end or a cleanup that left the membership in place because an assignment the bot did not make holds it
-- (an admin's PIM assignment, made in place of the bot's or after it ended): which one, so people are told why
-- the access stays.
ALTER TABLE requests ADD COLUMN held_by TEXT;

-- Reconciliation looks for failed requests whose grant call was sent and whose cleanup never ran.
CREATE INDEX requests_failed_uncleaned ON requests (created_at)
  WHERE state = 'failed' AND grant_sent_at IS NOT NULL AND cleanup_at IS NULL;
