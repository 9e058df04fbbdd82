-- PagerDuty (the README's "PagerDuty"): the incident a requester named, as PagerDuty described it when they asked,
-- and what approved a request without its approvers ("PagerDuty on-call (schedule …)").
ALTER TABLE requests ADD COLUMN incident_id TEXT;
ALTER TABLE requests ADD COLUMN incident_number INTEGER;
ALTER TABLE requests ADD COLUMN incident_title TEXT;
ALTER TABLE requests ADD COLUMN auto_approved_by TEXT;
