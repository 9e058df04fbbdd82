-- The scheduler asks for the next deadline (a grant's end, its expiry warning) after every job it finishes, and
-- the sweep for the grants whose end has come. Through a join with grants, both read every active grant: with
-- 10,000 of them ending in one minute, the next-deadline query alone took a third of the bot's time and held
-- revocations to half the rate Graph allowed. The end is copied onto the request, where partial indexes hold
-- exactly the grants still to be ended, and those still to be warned. A trigger keeps the copy, so a grant
-- written by any version, this one or an older replica still running during a rolling upgrade, is ended on time.
ALTER TABLE requests ADD COLUMN ends_at BIGINT;
UPDATE requests r SET ends_at = g.ends_at FROM grants g WHERE g.request_id = r.id;
CREATE FUNCTION grant_end_onto_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE requests SET ends_at = NEW.ends_at WHERE id = NEW.request_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER grants_end_onto_request AFTER INSERT OR UPDATE OF ends_at ON grants
  FOR EACH ROW EXECUTE FUNCTION grant_end_onto_request();
CREATE INDEX requests_open_by_end ON requests (ends_at) WHERE state = 'active' AND ending_reason IS NULL;
CREATE INDEX requests_unwarned_by_end ON requests (ends_at)
  WHERE state = 'active' AND ending_reason IS NULL AND expiry_warned_at IS NULL;
