-- The recycling engine (issue 3): what the worker keeps per cycle on recycling_state, the notices it queued as
-- evidence, the floors of every policy version as CHECKs, the ground a later policy version rests on, and the
-- custody basis `reinstatement` (a late qualifying event, dated before a withdrawal, that arrives during aging).
-- Activity ingestion (007) keeps its contract: it moves cycle_started_at, cycle_no, last_usage_at and next_due_at.

-- ── recycling_state: what the worker knows about the cycle it last set up ──

-- seen_cycle_no: the cycle whose policy_version, step and warnings this row describes. When ingestion starts a new
--   cycle (cycle_no moves on) the worker sees cycle_no <> seen_cycle_no and sets the new cycle up (policy version
--   in force at its start, warnings again from the first, reactivation of a suspended number).
-- warnings_queued: how many of the cycle's warnings have been queued (they go out in order).
-- alerted_cycle_no / alerted_reasons: a deferred withdrawal raises one alert per reason per cycle, not one per sweep.
-- lease_id: the claim that owns the row until next_due_at (the lease's end); a worker acts only on its own claim.
-- usage_veto_override_*: a compliance officer decided to withdraw despite the usage veto, for that cycle only and
--   for usage up to the instant they saw (newer usage vetoes again); never despite evidence or feed health.
ALTER TABLE recycling_state
  ADD COLUMN seen_cycle_no    integer,
  ADD COLUMN warnings_queued  integer NOT NULL DEFAULT 0 CHECK (warnings_queued >= 0),
  ADD COLUMN alerted_cycle_no integer,
  ADD COLUMN alerted_reasons  text[] NOT NULL DEFAULT '{}',
  ADD COLUMN lease_id         uuid,
  ADD COLUMN usage_veto_override_cycle_no integer,
  ADD COLUMN usage_veto_overridden_by     uuid REFERENCES staff (id),
  ADD COLUMN usage_veto_overridden_at     timestamptz,
  ADD COLUMN usage_veto_override_usage_at timestamptz,
  ADD CONSTRAINT usage_veto_override_complete CHECK (
    (usage_veto_override_cycle_no IS NULL) = (usage_veto_overridden_by IS NULL)
    AND (usage_veto_override_cycle_no IS NULL) = (usage_veto_overridden_at IS NULL)
    AND (usage_veto_override_cycle_no IS NULL) = (usage_veto_override_usage_at IS NULL));

-- The notices each cycle's steps queued: the withdrawal's evidence is read from these (one row per step, written in
-- the step's transaction, so a step and its notice exist together or not at all). A warning that ended `failed` or
-- `unknown` can never be evidence: a replacement (attempt n > 0) replaces attempt n - 1, and the evidence of a stage
-- is its latest attempt.
CREATE TABLE recycling_notices (
  custody_id uuid NOT NULL REFERENCES custodies (id),
  cycle_no   integer NOT NULL,
  purpose    text NOT NULL CHECK (purpose IN ('inactivity_warning', 'suspension', 'withdrawal')),
  stage      integer NOT NULL CHECK (stage > 0),
  attempt    integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
  replaces_notice_id uuid UNIQUE,
  notice_id  uuid NOT NULL UNIQUE,
  queued_at  timestamptz NOT NULL,
  PRIMARY KEY (custody_id, cycle_no, purpose, stage, attempt),
  CONSTRAINT replacements_name_what_they_replace CHECK ((attempt = 0) = (replaces_notice_id IS NULL)),
  CONSTRAINT only_warnings_are_replaced CHECK (attempt = 0 OR purpose = 'inactivity_warning')
);
GRANT SELECT, INSERT ON recycling_notices TO numguard_app;

-- A replacement stands in for the previous attempt of the same warning only when that one can never be evidence
-- (its notice ended failed or unknown): evidence cannot be swapped for a fresher one while the first may still count.
CREATE FUNCTION recycling_notice_replacement_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.attempt = 0 THEN RETURN NEW; END IF;
  IF NOT EXISTS (
       SELECT 1 FROM recycling_notices r JOIN sms_notices n ON n.id = r.notice_id
        WHERE r.custody_id = NEW.custody_id AND r.cycle_no = NEW.cycle_no AND r.purpose = NEW.purpose
          AND r.stage = NEW.stage AND r.attempt = NEW.attempt - 1 AND r.notice_id = NEW.replaces_notice_id
          AND n.state IN ('failed', 'unknown')) THEN
    RAISE EXCEPTION 'warning % of cycle % of custody % may be replaced only when its attempt % ended failed or unknown',
      NEW.stage, NEW.cycle_no, NEW.custody_id, NEW.attempt - 1 USING ERRCODE = 'NG009';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER recycling_notice_replacement_rule BEFORE INSERT ON recycling_notices
  FOR EACH ROW EXECUTE FUNCTION recycling_notice_replacement_rule();

-- ── Policies: DOMAIN's floors hold for every version, even against raw SQL ──

ALTER TABLE recycling_policies
  ADD CONSTRAINT warnings_floor CHECK (jsonb_typeof(params -> 'warning_days') = 'array'
                                       AND jsonb_array_length(params -> 'warning_days') >= 2),
  ADD CONSTRAINT evidence_floor CHECK ((params ->> 'evidence_days_before_withdrawal')::int >= 5),
  ADD CONSTRAINT last_warning_leaves_time_for_evidence CHECK (
    (params -> 'warning_days' ->> -1)::int
      <= (params ->> 'withdrawal_day')::int - (params ->> 'evidence_days_before_withdrawal')::int),
  ADD CONSTRAINT business_aging_floor CHECK ((params ->> 'business_aging_days')::int BETWEEN 45 AND 365);

-- A later version installs exactly the params of an executed policy_change request that a compliance officer
-- approved (005 checks the approver when the request executes), and approved_at is that approval.
CREATE FUNCTION policy_version_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.version = 1 THEN RETURN NEW; END IF;
  IF NEW.version <> (SELECT max(version) + 1 FROM recycling_policies) THEN
    RAISE EXCEPTION 'policy version % is not the next version', NEW.version USING ERRCODE = 'NG009';
  END IF;
  IF NOT EXISTS (
       SELECT 1 FROM requests r
         JOIN request_approvals a ON a.request_id = r.id AND a.decision = 'approved' AND a.voided_at IS NULL
                                 AND a.payload_sha256 = r.payload_sha256
         JOIN staff s ON s.id = a.approver_id AND 'compliance_officer' = ANY (s.roles)
        WHERE r.id = NEW.request_id AND r.kind = 'policy_change' AND r.status = 'executed'
          AND r.payload -> 'params' = NEW.params AND a.decided_at = NEW.approved_at) THEN
    RAISE EXCEPTION 'policy version % names no executed policy_change request approved by a compliance officer for these params',
      NEW.version USING ERRCODE = 'NG009';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER policy_version_rule BEFORE INSERT ON recycling_policies
  FOR EACH ROW EXECUTE FUNCTION policy_version_rule();

-- ── Custody basis `reinstatement` ──

ALTER TABLE custodies DROP CONSTRAINT custodies_basis_check;
ALTER TABLE custodies ADD CONSTRAINT custodies_basis_check
  CHECK (basis IN ('sale', 'transfer', 'reclaim', 'restoration', 'migration', 'port_in', 'reinstatement'));
ALTER TABLE custodies DROP CONSTRAINT basis_names_its_ground;
ALTER TABLE custodies ADD CONSTRAINT basis_names_its_ground CHECK (
  (basis IN ('sale', 'reinstatement') AND request_id IS NULL AND migration_batch_id IS NULL) OR
  (basis = 'migration' AND migration_batch_id IS NOT NULL AND request_id IS NULL) OR
  (basis IN ('transfer','reclaim','restoration','port_in') AND request_id IS NOT NULL AND migration_batch_id IS NULL));

-- 002's rule, plus: a reinstatement gives an aging number back to the holder whose custody was withdrawn for
-- inactivity, and only on the evidence of a qualifying event of that custody dated before its end that arrived
-- after it (a top-up the charging system reported late).
CREATE OR REPLACE FUNCTION custody_start_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE number_state text; previous custodies;
BEGIN
  IF NEW.ended_at IS NOT NULL AND NEW.basis <> 'migration' THEN
    RAISE EXCEPTION 'only a migration batch may load a custody that has already ended' USING ERRCODE = 'NG005';
  END IF;
  SELECT state INTO number_state FROM numbers WHERE msisdn = NEW.msisdn FOR UPDATE;
  IF NEW.basis = 'sale' THEN
    IF number_state NOT IN ('available', 'reserved') THEN
      RAISE EXCEPTION 'number % is %: a sale needs an available or reserved number', NEW.msisdn, number_state
        USING ERRCODE = 'NG005';
    END IF;
  ELSIF NEW.basis = 'migration' THEN
    IF NOT EXISTS (SELECT 1 FROM migration_batches b WHERE b.id = NEW.migration_batch_id AND b.status = 'executed') THEN
      RAISE EXCEPTION 'custody of % names no executed migration batch', NEW.msisdn USING ERRCODE = 'NG005';
    END IF;
  ELSIF NEW.basis = 'reinstatement' THEN
    IF number_state IS DISTINCT FROM 'aging' THEN
      RAISE EXCEPTION 'number % is %: a reinstatement needs an aging number', NEW.msisdn, number_state
        USING ERRCODE = 'NG005';
    END IF;
    SELECT * INTO previous FROM custodies WHERE msisdn = NEW.msisdn ORDER BY started_at DESC LIMIT 1;
    IF previous.id IS NULL OR previous.end_reason IS DISTINCT FROM 'inactivity'
       OR previous.subscriber_id <> NEW.subscriber_id THEN
      RAISE EXCEPTION 'a reinstatement of % goes only to the holder whose custody was withdrawn for inactivity', NEW.msisdn
        USING ERRCODE = 'NG005';
    END IF;
    IF NOT EXISTS (
         SELECT 1 FROM activity_events e
           JOIN recycling_state s ON s.custody_id = previous.id
           JOIN recycling_policies p ON p.version = s.policy_version
          WHERE e.custody_id = previous.id AND e.occurred_at < previous.ended_at AND e.received_at >= previous.ended_at
            AND p.params -> 'qualifying_kinds' ? e.kind) THEN
      RAISE EXCEPTION 'a reinstatement of % needs a qualifying event dated before its withdrawal that arrived after it',
        NEW.msisdn USING ERRCODE = 'NG005';
    END IF;
  ELSIF NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = NEW.request_id AND r.status = 'executed'
                      AND r.msisdn = NEW.msisdn AND r.kind = NEW.basis) THEN
    RAISE EXCEPTION 'custody of % by % names no executed % request for this number', NEW.msisdn, NEW.basis, NEW.basis
      USING ERRCODE = 'NG005';
  END IF;
  RETURN NEW;
END $$;
