-- Claiming takes the due jobs of one kind at a time, oldest first (revocations, then grants, then messages):
-- ordering every due job by kind sorted the whole backlog on each claim (9 ms with 20,000 queued).
CREATE INDEX jobs_queued_by_kind ON jobs (kind, run_at, id) WHERE state = 'queued';
