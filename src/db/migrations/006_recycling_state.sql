-- Inactivity recycling, the shared ground (issue 3): versioned policies, and one row per custody that says where
-- the custody stands in its inactivity cycle and when its next step is due. Activity ingestion moves the cycle;
-- the worker claims rows whose next step is due. Later migrations of the same issue add activity, SMS and the
-- recycling steps; this file is the contract between them.

-- Versioned recycling rules. Version 1 is DOMAIN.md's default; the floors are checked in src/domain/policy.ts and
-- by the CHECKs below, so no version can go below them even by raw SQL.
CREATE TABLE recycling_policies (
  version        integer PRIMARY KEY CHECK (version > 0),
  params         jsonb NOT NULL,
  -- Applies to cycles that start at or after this instant (≥ 30 days after approval, except version 1).
  effective_from timestamptz NOT NULL,
  approved_at    timestamptz NOT NULL,
  request_id     uuid REFERENCES requests (id),
  CONSTRAINT withdrawal_floor CHECK ((params ->> 'withdrawal_day')::int >= 90),
  CONSTRAINT aging_floor CHECK ((params ->> 'aging_days')::int BETWEEN 45 AND 365),
  CONSTRAINT later_versions_rest_on_a_request CHECK (version = 1 OR request_id IS NOT NULL),
  CONSTRAINT later_versions_wait_30_days CHECK (version = 1 OR effective_from >= approved_at + interval '30 days')
);
INSERT INTO recycling_policies (version, params, effective_from, approved_at) VALUES (1, '{
  "qualifying_kinds": ["topup", "payment"],
  "warning_days": [60, 75, 85],
  "suspension_day": 60,
  "withdrawal_day": 90,
  "usage_veto_days": 30,
  "feed_silence_hours": 6,
  "aging_days": 90,
  "business_aging_days": 90,
  "send_window": {"from": "08:00", "to": "20:00"},
  "evidence_days_before_withdrawal": 5,
  "time_zone": "Asia/Phnom_Penh"
}', '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z');

-- One row per custody. `cycle_started_at` is the custody's latest qualifying activity (or its start); `cycle_no`
-- counts cycles so warnings can be keyed by (custody, cycle, stage). `next_due_at` is when the worker must look
-- next (NULL: nothing will ever be due, e.g. postpaid or a closed custody). The worker's guarded update checks the
-- `cycle_started_at` and `next_due_at` it read, so a top-up that lands mid-sweep wins.
CREATE TABLE recycling_state (
  custody_id         uuid PRIMARY KEY REFERENCES custodies (id),
  msisdn             text NOT NULL REFERENCES numbers (msisdn),
  account_type       text NOT NULL CHECK (account_type IN ('prepaid', 'postpaid')),
  cycle_started_at   timestamptz NOT NULL,
  cycle_no           integer NOT NULL DEFAULT 1 CHECK (cycle_no > 0),
  last_usage_at      timestamptz,
  policy_version     integer NOT NULL REFERENCES recycling_policies (version),
  -- in_cycle: held, counting; aging: withdrawn, former holder may reclaim; closed: nothing more to do.
  stage              text NOT NULL DEFAULT 'in_cycle' CHECK (stage IN ('in_cycle', 'aging', 'closed')),
  -- What the worker last did in this cycle: none, warned_1.., suspended, waiting (withdrawal deferred, with why).
  step               text NOT NULL DEFAULT 'none',
  waiting_reason     text,
  withdrawn_at       timestamptz,
  next_due_at        timestamptz,
  updated_at         timestamptz NOT NULL
);
CREATE INDEX recycling_state_due ON recycling_state (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX recycling_state_number ON recycling_state (msisdn);

-- Every custody gets its row the moment it starts, whatever its basis: nothing can escape the sweep by being
-- created on a path that forgot. The worker computes the real schedule on its first visit.
CREATE FUNCTION recycling_state_for_custody() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE kind text; current_version integer;
BEGIN
  SELECT account_type INTO kind FROM subscribers WHERE id = NEW.subscriber_id;
  SELECT max(version) INTO current_version FROM recycling_policies WHERE effective_from <= NEW.started_at;
  INSERT INTO recycling_state (custody_id, msisdn, account_type, cycle_started_at, policy_version, stage, next_due_at,
                               updated_at)
  VALUES (NEW.id, NEW.msisdn, kind, NEW.started_at, current_version,
          CASE WHEN NEW.ended_at IS NULL THEN 'in_cycle' ELSE 'closed' END,
          CASE WHEN NEW.ended_at IS NULL AND kind = 'prepaid' THEN NEW.started_at END,
          NEW.started_at);
  RETURN NEW;
END $$;
CREATE TRIGGER recycling_state_for_custody AFTER INSERT ON custodies
  FOR EACH ROW EXECUTE FUNCTION recycling_state_for_custody();

GRANT SELECT ON recycling_policies TO numguard_app;
GRANT INSERT ON recycling_policies TO numguard_app;
GRANT SELECT, INSERT, UPDATE ON recycling_state TO numguard_app;
