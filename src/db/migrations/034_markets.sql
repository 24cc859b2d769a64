-- Lifecycle rules per market (issue 10, item 6). Until now there was one market, Cambodia, and its floors were CHECKs
-- on recycling_policies (006, 008). From here:
--   * `markets` holds each market's floors, SIM-swap cooling, SIM tenure and time zone. The rows are a release's:
--     the application role may read them and nothing else, so floors change only with a new migration;
--   * every number range belongs to a market, and its numbers carry that market's country calling code;
--   * recycling policies are versioned per market (market, market_version); `version` stays the global id that
--     recycling_state, withdrawal decisions and audit leaves name, so nothing that refers to a version changes;
--   * a policy is checked against its own market's floors, by a trigger that reads the market row;
--   * a custody's cycle takes the policy of its number's market, and the aging floor is its market's.
-- src/domain/markets.ts holds the same rows (src/domain/markets.test.ts keeps the two in step); docs/DOMAIN.md says
-- where each figure comes from. Existing ranges and policies belong to Cambodia, the market numguard served so far.

CREATE TABLE markets (
  code                    text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
  name                    text NOT NULL,
  calling_code            text NOT NULL UNIQUE CHECK (calling_code ~ '^[1-9][0-9]{0,2}$'),
  time_zone               text NOT NULL,
  -- Floors of every policy version of the market.
  min_warnings            integer NOT NULL CHECK (min_warnings >= 2),
  min_withdrawal_day      integer NOT NULL CHECK (min_withdrawal_day >= 90),
  min_evidence_days       integer NOT NULL CHECK (min_evidence_days >= 5),
  min_aging_days          integer NOT NULL CHECK (min_aging_days >= 45),
  max_aging_days          integer NOT NULL CHECK (max_aging_days >= min_aging_days),
  max_business_aging_days integer NOT NULL CHECK (max_business_aging_days >= min_aging_days),
  -- Transfers, terminations and KYC changes are refused this long after any SIM swap of the number.
  swap_cooling_days       integer NOT NULL CHECK (swap_cooling_days >= 7),
  -- A SIM must have served the number this long before a reply from it counts as the holder's consent.
  sim_tenure_days         integer NOT NULL CHECK (sim_tenure_days >= 0)
);
-- Figures and their sources: src/domain/markets.ts and docs/DOMAIN.md (Markets).
--   KH: withdrawal day 90 from the regulator's 60 + 30 barred days; the rest numguard's defaults.
--   IN: withdrawal ≥ 90 days of non-use, aging ≥ 90 days (not reissued for 90 days); cooling covers the 7-day port rule.
--   MY: quarantine ≥ 6 months: 184 calendar days, the longest six months.
--   US: aging 45–90 days residential, up to 365 business (47 CFR 52.15(f)(1)(ii)).
INSERT INTO markets VALUES
  ('KH', 'Cambodia',      '855', 'Asia/Phnom_Penh',   2, 90, 5, 45,  365, 365, 30, 30),
  ('IN', 'India',         '91',  'Asia/Kolkata',      2, 90, 5, 90,  365, 365, 30, 30),
  ('MY', 'Malaysia',      '60',  'Asia/Kuala_Lumpur', 2, 90, 5, 184, 365, 365, 30, 30),
  ('US', 'United States', '1',   'America/New_York',  2, 90, 5, 45,  90,  365, 30, 30);
REVOKE ALL ON markets FROM numguard_app;
GRANT SELECT ON markets TO numguard_app;

-- ── Ranges belong to a market ──

ALTER TABLE number_ranges ADD COLUMN market text REFERENCES markets (code);
UPDATE number_ranges SET market = 'KH';
ALTER TABLE number_ranges ALTER COLUMN market SET NOT NULL;

-- A range's numbers carry its market's calling code. Checked on insert (and on a change of either), so ranges that
-- an earlier release imported stand as they were.
CREATE FUNCTION number_range_market_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE prefix text;
BEGIN
  SELECT '+' || calling_code INTO prefix FROM markets WHERE code = NEW.market;
  IF prefix IS NULL OR left(NEW.first_msisdn, length(prefix)) <> prefix OR left(NEW.last_msisdn, length(prefix)) <> prefix THEN
    RAISE EXCEPTION 'range %–% is not of market % (numbers starting %)', NEW.first_msisdn, NEW.last_msisdn, NEW.market,
      coalesce(prefix, '?') USING ERRCODE = 'NG034';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER number_range_market_rule BEFORE INSERT OR UPDATE OF market, first_msisdn, last_msisdn ON number_ranges
  FOR EACH ROW EXECUTE FUNCTION number_range_market_rule();

-- The market of a number: its range's. NULL for a number outside our ranges.
CREATE FUNCTION market_of_number(p_msisdn text) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
  SELECT r.market FROM numbers n JOIN number_ranges r ON r.id = n.range_id WHERE n.msisdn = p_msisdn
$$;

-- Days after any SIM swap of the number in which transfers, terminations and KYC changes are refused (its market's;
-- Cambodia's for a number outside our ranges).
CREATE FUNCTION market_swap_cooling_days(p_msisdn text) RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
  SELECT swap_cooling_days FROM markets WHERE code = coalesce(market_of_number(p_msisdn), 'KH')
$$;

-- Days a SIM must have served the number before a reply from it counts as the holder's consent.
CREATE FUNCTION market_sim_tenure_days(p_msisdn text) RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
  SELECT sim_tenure_days FROM markets WHERE code = coalesce(market_of_number(p_msisdn), 'KH')
$$;

-- ── Policies are versioned per market ──

ALTER TABLE recycling_policies
  ADD COLUMN market text REFERENCES markets (code),
  ADD COLUMN market_version integer CHECK (market_version > 0);
UPDATE recycling_policies SET market = 'KH', market_version = version;
ALTER TABLE recycling_policies
  ALTER COLUMN market SET NOT NULL,
  ALTER COLUMN market_version SET NOT NULL,
  ADD CONSTRAINT one_series_per_market UNIQUE (market, market_version),
  -- The floors move to the market rows (policy_market_floors below); the shape of a policy stays a CHECK.
  DROP CONSTRAINT withdrawal_floor,
  DROP CONSTRAINT aging_floor,
  DROP CONSTRAINT evidence_floor,
  DROP CONSTRAINT business_aging_floor,
  DROP CONSTRAINT warnings_floor,
  ADD CONSTRAINT warnings_are_a_list CHECK (jsonb_typeof(params -> 'warning_days') = 'array'),
  DROP CONSTRAINT later_versions_rest_on_a_request,
  DROP CONSTRAINT later_versions_wait_30_days;
-- A market's first version comes with the release that defines the market; every later one rests on a request.
ALTER TABLE recycling_policies
  ADD CONSTRAINT later_versions_rest_on_a_request CHECK (market_version = 1 OR request_id IS NOT NULL),
  ADD CONSTRAINT later_versions_wait_30_days CHECK (market_version = 1 OR effective_from >= approved_at + interval '30 days');

-- Every version of a market, at or above its market's floors (and the aging maxima at or below), even by raw SQL.
CREATE FUNCTION policy_market_floors() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE m markets; p jsonb := NEW.params; problem text;
BEGIN
  SELECT * INTO m FROM markets WHERE code = NEW.market;
  problem := CASE
    WHEN m.code IS NULL THEN 'it names no market'
    WHEN coalesce(jsonb_array_length(p -> 'warning_days'), 0) < m.min_warnings
      THEN format('%s warnings, fewer than %s', jsonb_array_length(p -> 'warning_days'), m.min_warnings)
    WHEN coalesce((p ->> 'withdrawal_day')::int, 0) < m.min_withdrawal_day
      THEN format('withdrawal on day %s, before day %s', p ->> 'withdrawal_day', m.min_withdrawal_day)
    WHEN coalesce((p ->> 'evidence_days_before_withdrawal')::int, 0) < m.min_evidence_days
      THEN format('evidence %s days before withdrawal, fewer than %s', p ->> 'evidence_days_before_withdrawal',
                  m.min_evidence_days)
    WHEN coalesce((p ->> 'aging_days')::int, 0) NOT BETWEEN m.min_aging_days AND m.max_aging_days
      THEN format('aging %s days, outside %s–%s', p ->> 'aging_days', m.min_aging_days, m.max_aging_days)
    WHEN coalesce((p ->> 'business_aging_days')::int, 0) NOT BETWEEN m.min_aging_days AND m.max_business_aging_days
      THEN format('business aging %s days, outside %s–%s', p ->> 'business_aging_days', m.min_aging_days,
                  m.max_business_aging_days)
  END;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'policy version % of market % is outside its market''s floors: %', NEW.version, NEW.market, problem
      USING ERRCODE = 'NG034';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER policy_market_floors BEFORE INSERT OR UPDATE ON recycling_policies
  FOR EACH ROW EXECUTE FUNCTION policy_market_floors();

-- 008's rule, per market: `version` is the next global id and `market_version` the next of its market's series; a
-- later version installs exactly the params of an executed policy_change request for that market that a compliance
-- officer approved (a request made before 034 names no market: it was Cambodia's).
CREATE OR REPLACE FUNCTION policy_version_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.version <> (SELECT coalesce(max(version), 0) + 1 FROM recycling_policies) THEN
    RAISE EXCEPTION 'policy version % is not the next version', NEW.version USING ERRCODE = 'NG009';
  END IF;
  IF NEW.market_version IS DISTINCT FROM
       (SELECT coalesce(max(market_version), 0) + 1 FROM recycling_policies WHERE market = NEW.market) THEN
    RAISE EXCEPTION 'policy version % of market % is not the next of its market', NEW.market_version, NEW.market
      USING ERRCODE = 'NG009';
  END IF;
  IF NEW.market_version = 1 THEN RETURN NEW; END IF;
  IF NOT EXISTS (
       SELECT 1 FROM requests r
         JOIN request_approvals a ON a.request_id = r.id AND a.decision = 'approved' AND a.voided_at IS NULL
                                 AND a.payload_sha256 = r.payload_sha256
         JOIN staff s ON s.id = a.approver_id AND 'compliance_officer' = ANY (s.roles)
        WHERE r.id = NEW.request_id AND r.kind = 'policy_change' AND r.status = 'executed'
          AND coalesce(r.payload ->> 'market', 'KH') = NEW.market
          AND r.payload -> 'params' = NEW.params AND a.decided_at = NEW.approved_at) THEN
    RAISE EXCEPTION 'policy version % names no executed policy_change request of market % approved by a compliance officer for these params',
      NEW.version, NEW.market USING ERRCODE = 'NG009';
  END IF;
  RETURN NEW;
END $$;

-- Version 1 of each new market: src/domain/markets.ts's defaults (numguard's, within the market's floors).
INSERT INTO recycling_policies (version, market, market_version, params, effective_from, approved_at)
SELECT (SELECT max(version) FROM recycling_policies) + n, code, 1, params::jsonb,
       '1970-01-01T00:00:00Z', '1970-01-01T00:00:00Z'
  FROM (VALUES
    (1, 'IN', '{"qualifying_kinds": ["topup", "payment"], "warning_days": [60, 75, 85], "suspension_day": 60,
       "withdrawal_day": 90, "usage_veto_days": 30, "feed_silence_hours": 6, "aging_days": 90,
       "business_aging_days": 90, "send_window": {"from": "09:00", "to": "21:00"},
       "evidence_days_before_withdrawal": 5, "time_zone": "Asia/Kolkata"}'),
    (2, 'MY', '{"qualifying_kinds": ["topup", "payment"], "warning_days": [60, 75, 85], "suspension_day": 60,
       "withdrawal_day": 90, "usage_veto_days": 30, "feed_silence_hours": 6, "aging_days": 184,
       "business_aging_days": 184, "send_window": {"from": "08:00", "to": "20:00"},
       "evidence_days_before_withdrawal": 5, "time_zone": "Asia/Kuala_Lumpur"}'),
    (3, 'US', '{"qualifying_kinds": ["topup", "payment"], "warning_days": [60, 75, 85], "suspension_day": 60,
       "withdrawal_day": 90, "usage_veto_days": 30, "feed_silence_hours": 6, "aging_days": 90,
       "business_aging_days": 90, "send_window": {"from": "08:00", "to": "20:00"},
       "evidence_days_before_withdrawal": 5, "time_zone": "America/New_York"}')
  ) AS seed (n, code, params)
 ORDER BY n;

-- The version that governs a cycle of `p_msisdn` starting at `p_at`: the newest of its market's effective by then.
CREATE FUNCTION policy_version_at(p_msisdn text, p_at timestamptz) RETURNS integer LANGUAGE sql STABLE
SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT max(version) FROM recycling_policies
   WHERE market = coalesce(market_of_number(p_msisdn), 'KH') AND effective_from <= p_at
$$;

-- 006's trigger: a custody's cycle starts under its number's market's policy.
CREATE OR REPLACE FUNCTION recycling_state_for_custody() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE kind text; current_version integer;
BEGIN
  SELECT account_type INTO kind FROM subscribers WHERE id = NEW.subscriber_id;
  current_version := policy_version_at(NEW.msisdn, NEW.started_at);
  INSERT INTO recycling_state (custody_id, msisdn, account_type, cycle_started_at, policy_version, stage, next_due_at,
                               updated_at)
  VALUES (NEW.id, NEW.msisdn, kind, NEW.started_at, current_version,
          CASE WHEN NEW.ended_at IS NULL THEN 'in_cycle' ELSE 'closed' END,
          CASE WHEN NEW.ended_at IS NULL AND kind = 'prepaid' THEN NEW.started_at END,
          NEW.started_at);
  RETURN NEW;
END $$;

-- 031's aging floor, per market: the cycle's policy days (business_aging_days for organisations), never fewer than
-- the number's market's floor; the market's floor when the number has no cycle to read.
CREATE OR REPLACE FUNCTION aging_floor_days(p_msisdn text) RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
  SELECT greatest(
           (SELECT CASE WHEN sub.party_kind = 'organisation' THEN (p.params ->> 'business_aging_days')::int
                        ELSE (p.params ->> 'aging_days')::int END
              FROM (SELECT * FROM custodies WHERE msisdn = p_msisdn ORDER BY started_at DESC LIMIT 1) c
              JOIN recycling_state s ON s.custody_id = c.id
              JOIN recycling_policies p ON p.version = s.policy_version
              JOIN subscribers sub ON sub.id = c.subscriber_id),
           (SELECT m.min_aging_days FROM markets m WHERE m.code = coalesce(market_of_number(p_msisdn), 'KH')))
$$;
