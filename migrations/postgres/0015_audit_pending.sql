-- A change no longer appends its audit event to the chain itself: every write of every replica took the lock of
-- the chain's head row and kept it until its commit, so all of them waited in line for each other. A change now
-- stores its event here, in the same statement as the change, and a chainer (src/adapters/postgres/
-- audit-chainer.ts) moves the events onto the chain in audit_events, in id order, a batch at a time.
--   body            the text the event's hash covers besides its seq and the previous hash, as the bot wrote it
--                   (auditBody): the chainer hashes it, so a field edited while the event waits shows once chained
--   request_version the request's version after the change: a request has one event per version, so an event
--                   removed while it waited shows too
--   queued_at       by the database's clock, so that an event left waiting (no chainer running) shows
CREATE TABLE audit_pending (
  id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              BIGINT  NOT NULL,
  request_id      TEXT    REFERENCES requests (id),
  request_version INTEGER,
  actor           TEXT    NOT NULL,
  action          TEXT    NOT NULL,
  state_before    TEXT,
  state_after     TEXT,
  detail          TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  queued_at       BIGINT  NOT NULL DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint
);

-- Which waiting event each chained row was (unique: an event is chained once), and its request's version. Neither
-- is hashed: the rows chained before this migration have neither.
ALTER TABLE audit_events ADD COLUMN request_version INTEGER, ADD COLUMN pending_id BIGINT UNIQUE;

-- A waiting event is never edited, and leaves only onto the chain: every row deleted must be in audit_events by
-- then, with the same content. TRUNCATE skips row and statement DELETE triggers alike.
CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending
  FOR EACH ROW EXECUTE FUNCTION audit_trail_is_append_only();
CREATE TRIGGER audit_pending_no_truncate BEFORE TRUNCATE ON audit_pending
  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_is_append_only();

CREATE FUNCTION audit_pending_leaves_onto_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM gone g WHERE NOT EXISTS (
      SELECT 1 FROM audit_events a
      WHERE a.pending_id = g.id AND a.at = g.at AND a.request_id IS NOT DISTINCT FROM g.request_id
        AND a.request_version IS NOT DISTINCT FROM g.request_version AND a.actor = g.actor AND a.action = g.action
        AND a.state_before IS NOT DISTINCT FROM g.state_before AND a.state_after IS NOT DISTINCT FROM g.state_after
        AND a.detail = g.detail)) THEN
    RAISE EXCEPTION 'an audit event leaves audit_pending only onto the chain';
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER audit_pending_only_onto_the_chain AFTER DELETE ON audit_pending
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_leaves_onto_the_chain();
