-- As migrations/0005 for SQLite: which assignment the bot did not make holds a membership an end or a cleanup
-- left in place, and the failed requests reconciliation still has to clean up after.
ALTER TABLE requests ADD COLUMN held_by TEXT;

CREATE INDEX requests_failed_uncleaned ON requests (created_at, row_order)
  WHERE state = 'failed' AND grant_sent_at IS NOT NULL AND cleanup_at IS NULL;
