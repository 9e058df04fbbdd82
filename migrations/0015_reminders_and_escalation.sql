-- Reminders and escalation of a request that waits for its approvers (a target's approvers.remind_after and
-- approvers.escalate): when the next reminder is due and how many went out, when escalate.users become
-- approvers of it and when they did. Each due time is cleared once acted on (or, for reminders, moved on).
ALTER TABLE requests ADD COLUMN remind_at INTEGER;
ALTER TABLE requests ADD COLUMN reminders_sent INTEGER;
ALTER TABLE requests ADD COLUMN escalate_at INTEGER;
ALTER TABLE requests ADD COLUMN escalated_at INTEGER;
-- The sweep's deadlines: each index holds only the requests still waiting with a reminder or an escalation to come.
CREATE INDEX requests_reminder_due ON requests (remind_at) WHERE state = 'pending' AND remind_at IS NOT NULL;
CREATE INDEX requests_escalation_due ON requests (escalate_at) WHERE state = 'pending' AND escalate_at IS NOT NULL;
