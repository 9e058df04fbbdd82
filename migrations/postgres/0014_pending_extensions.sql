-- As migrations/0016 for SQLite: the extensions still waiting for the approvers, for the Home tabs.
CREATE INDEX requests_pending_extension ON requests (extension_asked_at)
  WHERE state = 'active' AND extension_asked_at IS NOT NULL AND extension_result IS NULL;
