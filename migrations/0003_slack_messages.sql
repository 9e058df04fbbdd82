-- The Slack messages the bot posted about each request: the approval card and the requester's receipt are
-- updated in place; news (granted, expiring, ended…) is posted once per request and kind.
CREATE TABLE slack_messages (
  request_id TEXT    NOT NULL REFERENCES requests (id),
  kind       TEXT    NOT NULL,
  channel    TEXT    NOT NULL,
  ts         TEXT    NOT NULL,
  posted_at  INTEGER NOT NULL,
  PRIMARY KEY (request_id, kind)
);
