-- As migrations/0011 for SQLite: the incident a requester named, and what approved a request without its approvers.
ALTER TABLE requests ADD COLUMN incident_id TEXT;
ALTER TABLE requests ADD COLUMN incident_number INTEGER;
ALTER TABLE requests ADD COLUMN incident_title TEXT;
ALTER TABLE requests ADD COLUMN auto_approved_by TEXT;
