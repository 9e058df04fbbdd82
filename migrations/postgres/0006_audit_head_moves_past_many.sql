-- The sweep writes many changes in one statement and chains their audit events at once, so the head of the
-- chain moves past all of them in one update. It still never moves back (which would hide a cut-off tail), and
-- it may only land on a row of the trail, with that row's hash.
CREATE FUNCTION audit_chain_head_moves_onto_the_trail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq <= OLD.seq OR NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash) THEN
    RAISE EXCEPTION 'the audit chain head moves forward, onto a row of the trail (from % to %)', OLD.seq, NEW.seq;
  END IF;
  RETURN NEW;
END;
$$;
DROP TRIGGER audit_chain_head_forward_only ON audit_chain_head;
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_chain_head_moves_onto_the_trail();
DROP FUNCTION audit_chain_head_moves_one_row_on();
