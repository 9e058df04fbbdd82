-- The PostgreSQL store: the tables of the SQLite store (migrations/0001–0004), and what several replicas
-- sharing one database need besides: job leases that name their holder, and one head of the audit chain that
-- every append locks, so concurrent writers still extend a single chain.
-- Times are milliseconds since the Unix epoch (UTC), as the domain counts them.
-- row_order columns stand in for SQLite's rowid: they break ties between rows written in the same millisecond.

CREATE TABLE requests (
  id                        TEXT    PRIMARY KEY,
  row_order                 BIGINT  GENERATED ALWAYS AS IDENTITY,
  requester_id              TEXT    NOT NULL,
  principal_id              TEXT,
  principal_name            TEXT,
  requester_email           TEXT,
  target_id                 TEXT    NOT NULL,
  reason                    TEXT    NOT NULL,
  duration_minutes          INTEGER NOT NULL CHECK (duration_minutes >= 1),
  required_approvals        INTEGER NOT NULL CHECK (required_approvals >= 1),
  state                     TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'active', 'ended', 'denied', 'cancelled', 'timed_out', 'failed')),
  version                   INTEGER NOT NULL,
  created_at                BIGINT  NOT NULL,
  pending_until             BIGINT  NOT NULL,
  decided_at                BIGINT,
  cancelled_at              BIGINT,
  failure                   TEXT,
  ending_reason             TEXT    CHECK (ending_reason IN ('expired', 'released', 'revoked')),
  ending_by                 TEXT,
  ending_at                 BIGINT,
  expiry_warned_at          BIGINT,
  grant_sent_at             BIGINT,
  grant_kind                TEXT    CHECK (grant_kind IN ('pim_group', 'group_membership')),
  grant_group_id            TEXT,
  cleanup_at                BIGINT,
  cleanup_result            TEXT    CHECK (cleanup_result IN ('removed', 'absent', 'covered', 'standing')),
  kept_by                   TEXT,
  signed_out_at             BIGINT,
  signed_out_tokens         INTEGER,
  signed_out_sessions       INTEGER,
  signed_out_other_accounts INTEGER,
  updated_at                BIGINT  NOT NULL
);
CREATE INDEX requests_by_state ON requests (state, pending_until);
CREATE INDEX requests_by_state_age ON requests (state, created_at, row_order);
CREATE INDEX requests_by_requester ON requests (requester_id, created_at, row_order);
-- The overlap check compares ids case-insensitively (Entra object ids may come in either case).
CREATE INDEX requests_by_grant_call ON requests (lower(grant_group_id), lower(principal_id)) WHERE state = 'approved';

CREATE TABLE decisions (
  request_id  TEXT   NOT NULL REFERENCES requests (id),
  approver_id TEXT   NOT NULL,
  decision    TEXT   NOT NULL CHECK (decision IN ('approve', 'deny')),
  comment     TEXT,
  decided_at  BIGINT NOT NULL,
  row_order   BIGINT GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (request_id, approver_id)
);

CREATE TABLE grants (
  request_id   TEXT   PRIMARY KEY REFERENCES requests (id),
  kind         TEXT   NOT NULL CHECK (kind IN ('pim_group', 'group_membership')),
  group_id     TEXT   NOT NULL,
  principal_id TEXT   NOT NULL,
  reference    TEXT,
  granted_at   BIGINT NOT NULL,
  ends_at      BIGINT NOT NULL,
  ended_at     BIGINT,
  end_reason   TEXT   CHECK (end_reason IN ('expired', 'released', 'revoked'))
);
CREATE INDEX grants_open_by_end ON grants (ends_at) WHERE ended_at IS NULL;
CREATE INDEX grants_by_end ON grants (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX grants_by_member ON grants (lower(group_id), lower(principal_id)) WHERE ended_at IS NULL;

-- Append-only: every row carries the hash of the one before it, so an edited or deleted row is detectable.
-- seq has no sequence behind it: a rolled-back append would leave a gap that reads as a deleted row. It is
-- taken from audit_chain_head under that row's lock instead. detail stays text, never jsonb: the hash covers
-- the exact text written.
CREATE TABLE audit_events (
  seq          BIGINT PRIMARY KEY,
  at           BIGINT NOT NULL,
  request_id   TEXT   REFERENCES requests (id),
  actor        TEXT   NOT NULL,
  action       TEXT   NOT NULL,
  state_before TEXT,
  state_after  TEXT,
  detail       TEXT   NOT NULL DEFAULT '{}',
  prev_hash    TEXT   NOT NULL,
  hash         TEXT   NOT NULL
);
CREATE INDEX audit_events_by_request ON audit_events (request_id, seq);
CREATE INDEX audit_events_by_time ON audit_events (at);

-- The last row of the chain (seq 0 and the genesis hash before the first). It never moves back, so a cut-off
-- tail shows as a head beyond the last row.
CREATE TABLE audit_chain_head (
  only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
  seq      BIGINT  NOT NULL,
  hash     TEXT    NOT NULL
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, repeat('0', 64));

CREATE FUNCTION audit_trail_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_trail_is_append_only();
-- TRUNCATE skips row triggers.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_is_append_only();
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_trail_is_append_only();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_is_append_only();

CREATE FUNCTION audit_chain_head_moves_one_row_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq <> OLD.seq + 1 THEN
    RAISE EXCEPTION 'the audit chain head moves one row on at a time (from % to %)', OLD.seq, NEW.seq;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_chain_head_moves_one_row_on();

-- A claimed job is leased: running, with locked_until and the replica holding it (lease_owner). A lease that
-- ran out (its replica died or stalled) is claimed again by any replica, and the attempt count fences the
-- late holder out.
CREATE TABLE jobs (
  id           BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         TEXT    NOT NULL CHECK (kind IN ('grant', 'revoke', 'notify')),
  request_id   TEXT    NOT NULL REFERENCES requests (id),
  event        TEXT,
  state        TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  run_at       BIGINT  NOT NULL,
  locked_until BIGINT,
  lease_owner  TEXT,
  last_error   TEXT,
  created_at   BIGINT  NOT NULL,
  updated_at   BIGINT  NOT NULL
);
-- Done and dead jobs stay for the record; the claim looks only at the live ones.
CREATE INDEX jobs_queued_by_run_at ON jobs (run_at) WHERE state = 'queued';
CREATE INDEX jobs_running_by_lease ON jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_by_request ON jobs (request_id);

-- The Slack messages the bot posted about each request: the approval card and the requester's receipt are
-- updated in place; news (granted, expiring, ended…) is posted once per request and kind.
CREATE TABLE slack_messages (
  request_id TEXT   NOT NULL REFERENCES requests (id),
  kind       TEXT   NOT NULL,
  channel    TEXT   NOT NULL,
  ts         TEXT   NOT NULL,
  posted_at  BIGINT NOT NULL,
  PRIMARY KEY (request_id, kind)
);
