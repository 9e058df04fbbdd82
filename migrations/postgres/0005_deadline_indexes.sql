-- The scheduler asks for the next deadline (a grant's end, its expiry warning) after every job it finishes, and
-- the sweep for the grants whose end has come. Through a join with grants, both read every active grant: with
-- 10,000 of them ending in one minute, the next-deadline query alone took a third of the bot's time and held
-- revocations to half the rate Graph allowed. The end is copied onto the request (it is set once, with the
-- grant), where partial indexes hold exactly the grants still to be ended, and those still to be warned.
ALTER TABLE requests ADD COLUMN ends_at BIGINT;
UPDATE requests SET ends_at = (SELECT ends_at FROM grants WHERE grants.request_id = requests.id);
CREATE INDEX requests_open_by_end ON requests (ends_at) WHERE state = 'active' AND ending_reason IS NULL;
CREATE INDEX requests_unwarned_by_end ON requests (ends_at)
  WHERE state = 'active' AND ending_reason IS NULL AND expiry_warned_at IS NULL;
