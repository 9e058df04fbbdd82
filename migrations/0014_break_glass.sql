-- Break-glass: a request approved by its own requester at once, where the target allows it, and reviewed
-- afterwards. When the glass was broken, when the alert goes out again unless someone reviewed it first (cleared
-- once it has gone out, or once reviewed), and who reviewed it, when.
ALTER TABLE requests ADD COLUMN break_glass_at INTEGER;
ALTER TABLE requests ADD COLUMN break_glass_realert_at INTEGER;
ALTER TABLE requests ADD COLUMN break_glass_reviewed_by TEXT;
ALTER TABLE requests ADD COLUMN break_glass_reviewed_at INTEGER;
-- The sweep's deadline and the Home tabs' list: each holds only the few break-glass requests still to act on.
CREATE INDEX requests_break_glass_realert ON requests (break_glass_realert_at) WHERE break_glass_realert_at IS NOT NULL;
CREATE INDEX requests_break_glass_unreviewed ON requests (break_glass_at)
  WHERE break_glass_at IS NOT NULL AND break_glass_reviewed_at IS NULL;
