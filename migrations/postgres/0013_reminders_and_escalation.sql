-- As migrations/0015 for SQLite: when the next reminder of a waiting request is due and how many went out, when
-- escalate.users become its approvers and when they did; with partial indexes for the sweep.
ALTER TABLE requests ADD COLUMN remind_at BIGINT;
ALTER TABLE requests ADD COLUMN reminders_sent INTEGER;
ALTER TABLE requests ADD COLUMN escalate_at BIGINT;
ALTER TABLE requests ADD COLUMN escalated_at BIGINT;
CREATE INDEX requests_reminder_due ON requests (remind_at) WHERE state = 'pending' AND remind_at IS NOT NULL;
CREATE INDEX requests_escalation_due ON requests (escalate_at) WHERE state = 'pending' AND escalate_at IS NOT NULL;
