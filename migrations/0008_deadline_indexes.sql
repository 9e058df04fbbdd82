-- The scheduler asks for the next deadline (a grant's end, its expiry warning) after every job it finishes, and
-- the sweep for the grants whose end has come. Through a join with grants, both read every active grant: with
-- 10,000 of them ending in one minute, the next-deadline query alone took a third of the bot's time and held
-- revocations to half the rate Graph allowed. The end is copied onto the request, where partial indexes hold
-- exactly the grants still to be ended, and those still to be warned. Triggers keep the copy, so a grant
-- written by any version, this one or an older one still running during an upgrade, is ended on time.
ALTER TABLE requests ADD COLUMN ends_at INTEGER;
UPDATE requests SET ends_at = (SELECT ends_at FROM grants WHERE grants.request_id = requests.id);
CREATE TRIGGER grants_end_onto_request AFTER INSERT ON grants
BEGIN
  UPDATE requests SET ends_at = NEW.ends_at WHERE id = NEW.request_id;
END;
CREATE TRIGGER grants_new_end_onto_request AFTER UPDATE OF ends_at ON grants
BEGIN
  UPDATE requests SET ends_at = NEW.ends_at WHERE id = NEW.request_id;
END;
CREATE INDEX requests_open_by_end ON requests (ends_at) WHERE state = 'active' AND ending_reason IS NULL;
CREATE INDEX requests_unwarned_by_end ON requests (ends_at)
  WHERE state = 'active' AND ending_reason IS NULL AND expiry_warned_at IS NULL;
