-- The Home tabs list the extensions still waiting for the approvers, on every news about any request: a partial
-- index holds just those (an extension asked for on an active grant, not yet decided), however many grants run.
CREATE INDEX requests_pending_extension ON requests (extension_asked_at)
  WHERE state = 'active' AND extension_asked_at IS NOT NULL AND extension_result IS NULL;
