-- As migrations/0011 for SQLite: when the glass was broken, when the alert goes out again unless someone
-- reviewed it first, and who reviewed it, when; with partial indexes for the sweep and the Home tabs.
ALTER TABLE requests ADD COLUMN break_glass_at BIGINT;
ALTER TABLE requests ADD COLUMN break_glass_realert_at BIGINT;
ALTER TABLE requests ADD COLUMN break_glass_reviewed_by TEXT;
ALTER TABLE requests ADD COLUMN break_glass_reviewed_at BIGINT;
CREATE INDEX requests_break_glass_realert ON requests (break_glass_realert_at) WHERE break_glass_realert_at IS NOT NULL;
CREATE INDEX requests_break_glass_unreviewed ON requests (break_glass_at)
  WHERE break_glass_at IS NOT NULL AND break_glass_reviewed_at IS NULL;
