-- The database checks the recycling chain, not only the row (issue 10, item 3). Until now each row change was checked
-- on its own, so one transaction could close a custody for inactivity, move its number active → aging → available
-- → active and sell it to a stranger: no warning, no day 90 and no aging floor was ever required. From here:
--   * a custody ends for inactivity only on its cycle's withdrawal decision, a row the withdrawal writes in the same
--     transaction and that the database checks against the warning, receipt, activity and feed rows themselves;
--   * a number leaves aging for the pool only once its aging floor (aging_floor_days) has passed since the custody
--     ended, and never in the transaction that put it in aging.
-- Whoever holds the application's login can still forge every evidence row, with their audit leaves: the forgery is
-- then a whole recorded chain, which the audit reconciliation can name.

-- ── The withdrawal decision: what the withdrawal relied on, written by it, never changed ──

CREATE TABLE withdrawal_decisions (
  custody_id               uuid PRIMARY KEY REFERENCES custodies (id),
  msisdn                   text NOT NULL REFERENCES numbers (msisdn),
  cycle_no                 integer NOT NULL,
  policy_version           integer NOT NULL REFERENCES recycling_policies (version),
  -- The custody's ended_at: a decision is taken at the instant of the withdrawal.
  decided_at               timestamptz NOT NULL,
  -- The latest attempt of every warning stage of the cycle, and the instant its last final receipt came.
  warning_notice_ids       uuid[] NOT NULL,
  last_final_at            timestamptz NOT NULL,
  -- Usage in the veto period that a compliance officer decided does not stop this withdrawal (decisions.ts).
  usage_veto_overridden_by uuid REFERENCES staff (id),
  -- The charging sources counted healthy.
  feed_sources             text[] NOT NULL
);
CREATE TRIGGER withdrawal_decisions_audit_ins AFTER INSERT ON withdrawal_decisions REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows();
GRANT SELECT, INSERT ON withdrawal_decisions TO numguard_app;

-- The instant `days` local days after `at`'s local day begins, in `tz` (domain/policy.ts: localInstant(addDays(…))).
CREATE FUNCTION local_day_start(at timestamptz, days integer, tz text) RETURNS timestamptz LANGUAGE sql STABLE
AS $$ SELECT (((at AT TIME ZONE tz)::date + days)::timestamp AT TIME ZONE tz) $$;

-- Why custody `p_custody`, ending now for inactivity, may not end so; NULL when its withdrawal decision holds.
-- Read from the rows, as withdrawal.ts's checkWithdrawal reads them: the decision only says what it relied on.
CREATE FUNCTION withdrawal_decision_problem(p_custody uuid) RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE
  c custodies; s recycling_state; d withdrawal_decisions; params jsonb; tz text;
  stages integer; warned uuid[]; covered integer; unevidenced integer; last_final timestamptz;
  last_usage timestamptz; counted text[]; silent integer;
BEGIN
  SELECT * INTO c FROM custodies WHERE id = p_custody;
  SELECT * INTO s FROM recycling_state WHERE custody_id = p_custody;
  IF s.custody_id IS NULL THEN RETURN 'it has no recycling cycle'; END IF;
  SELECT * INTO d FROM withdrawal_decisions WHERE custody_id = p_custody;
  IF d.custody_id IS NULL THEN RETURN 'its cycle has no withdrawal decision'; END IF;
  IF d.msisdn <> c.msisdn OR d.cycle_no <> s.cycle_no OR d.decided_at <> c.ended_at THEN
    RETURN format('its withdrawal decision is not of cycle %s at %s', s.cycle_no, c.ended_at);
  END IF;
  -- The version the row names, or the one in force when the cycle started (the sweep sets a new cycle up then).
  IF d.policy_version <> s.policy_version AND d.policy_version IS DISTINCT FROM
       (SELECT max(version) FROM recycling_policies WHERE effective_from <= s.cycle_started_at) THEN
    RETURN format('its withdrawal decision names policy version %s, not the cycle''s', d.policy_version);
  END IF;
  SELECT p.params INTO params FROM recycling_policies p WHERE p.version = d.policy_version;
  tz := params ->> 'time_zone';

  -- The cycle: it starts with the custody or a later qualifying event, and no qualifying event came since.
  IF s.cycle_started_at < c.started_at THEN RETURN 'its cycle starts before its custody'; END IF;
  IF EXISTS (SELECT 1 FROM activity_events e
              WHERE e.custody_id = p_custody AND e.occurred_at > s.cycle_started_at AND e.occurred_at <= c.ended_at
                AND params -> 'qualifying_kinds' ? e.kind) THEN
    RETURN 'a qualifying event came after its cycle started';
  END IF;
  IF c.ended_at < local_day_start(s.cycle_started_at, (params ->> 'withdrawal_day')::int, tz) THEN
    RETURN format('day %s of its cycle has not come', params ->> 'withdrawal_day');
  END IF;

  -- Every part of the latest attempt of every warning stage has a final receipt, the last one the gap old.
  stages := greatest(2, jsonb_array_length(params -> 'warning_days'));
  WITH latest AS (
    SELECT DISTINCT ON (r.stage) r.stage, r.notice_id FROM recycling_notices r
     WHERE r.custody_id = p_custody AND r.cycle_no = s.cycle_no AND r.purpose = 'inactivity_warning'
     ORDER BY r.stage, r.attempt DESC),
  evidence AS (
    SELECT l.stage, l.notice_id,
           n.state = 'evidenced' AND n.msisdn = c.msisdn AND n.part_count IS NOT NULL
             AND (SELECT count(DISTINCT p.part_index) FROM sms_notice_parts p
                   WHERE p.notice_id = n.id AND p.state = 'final' AND p.receipt_at IS NOT NULL) = n.part_count AS whole,
           greatest(n.last_final_at, (SELECT max(p.receipt_at) FROM sms_notice_parts p
                                       WHERE p.notice_id = n.id AND p.state = 'final')) AS final_at
      FROM latest l LEFT JOIN sms_notices n ON n.id = l.notice_id)
  SELECT array_agg(notice_id ORDER BY stage), count(*) FILTER (WHERE stage BETWEEN 1 AND stages),
         count(*) FILTER (WHERE whole IS NOT TRUE), max(final_at)
    INTO warned, covered, unevidenced, last_final FROM evidence;
  IF covered < stages THEN RETURN format('%s of its %s warnings were queued', covered, stages); END IF;
  IF unevidenced > 0 THEN RETURN format('%s of its warnings lack a final receipt for every part', unevidenced); END IF;
  IF c.ended_at < last_final + make_interval(hours => 24 * (params ->> 'evidence_days_before_withdrawal')::int) THEN
    RETURN format('its last warning''s final receipt is less than %s days old', params ->> 'evidence_days_before_withdrawal');
  END IF;
  IF NOT (d.warning_notice_ids @> warned AND warned @> d.warning_notice_ids) OR d.last_final_at <> last_final THEN
    RETURN 'its withdrawal decision does not name the warnings and receipts the rows hold';
  END IF;

  -- No usage in the veto period, unless a compliance officer decided on exactly this usage in this cycle.
  last_usage := greatest(s.last_usage_at, (SELECT max(e.occurred_at) FROM activity_events e
                                            WHERE e.custody_id = p_custody AND e.kind = 'usage'));
  IF last_usage IS NOT NULL AND c.ended_at - last_usage < make_interval(hours => 24 * (params ->> 'usage_veto_days')::int)
     AND NOT (s.usage_veto_override_cycle_no = s.cycle_no AND s.usage_veto_override_usage_at >= last_usage
              AND d.usage_veto_overridden_by = s.usage_veto_overridden_by
              AND EXISTS (SELECT 1 FROM staff st WHERE st.id = s.usage_veto_overridden_by
                             AND 'compliance_officer' = ANY (st.roles))) THEN
    RETURN 'usage in the veto period stops its withdrawal';
  END IF;

  -- A healthy feed: at least one counted source, none silent longer than the policy allows.
  SELECT coalesce(array_agg(a.source ORDER BY a.source), '{}'),
         count(*) FILTER (WHERE a.last_received_at < c.ended_at - make_interval(hours => (params ->> 'feed_silence_hours')::int))
    INTO counted, silent FROM activity_sources a WHERE a.retired_at IS NULL;
  IF cardinality(counted) = 0 OR silent > 0 THEN RETURN 'the charging feed is not healthy'; END IF;
  IF NOT (d.feed_sources @> counted AND counted @> d.feed_sources) THEN
    RETURN 'its withdrawal decision does not name the charging sources counted';
  END IF;
  RETURN NULL;
END $$;

-- True when the statement runs as the schema's owner (or a superuser), not as the application role or a login that
-- merely takes it: test fixtures that stand in for a whole cycle do so on an explicitly owner-marked connection.
-- SECURITY INVOKER on purpose; the `role` setting names what SET ROLE took, session_user the login otherwise.
CREATE FUNCTION acting_as_owner() RETURNS boolean LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
  SELECT pg_has_role(CASE WHEN current_setting('role') = 'none' THEN session_user ELSE current_setting('role') END::name,
                     (SELECT relowner FROM pg_class WHERE oid = 'custodies'::regclass), 'USAGE')
$$;

CREATE FUNCTION custody_inactivity_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE problem text;
BEGIN
  IF acting_as_owner() THEN RETURN NULL; END IF;
  -- A migrated custody that the legacy system withdrew, closed in the transaction that executed its batch.
  IF NEW.basis = 'migration' AND EXISTS (SELECT 1 FROM migration_batches b WHERE b.id = NEW.migration_batch_id
                                            AND b.xmin::text::bigint = txid_current() % 4294967296) THEN
    RETURN NULL;
  END IF;
  problem := withdrawal_decision_problem(NEW.id);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'the custody of % may not end for inactivity: %', NEW.msisdn, problem USING ERRCODE = 'NG031';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER custody_inactivity_rule AFTER UPDATE OF ended_at, end_reason ON custodies
  FOR EACH ROW WHEN (NEW.end_reason = 'inactivity' AND OLD.ended_at IS NULL)
  EXECUTE FUNCTION custody_inactivity_rule();

-- ── Aging: the floor since the withdrawal, never within one transaction ──

-- The days a number ages after the custody that ended last: its cycle's policy, business_aging_days for
-- organisations. One function so that per-market floors (migration 034) can redefine it.
CREATE FUNCTION aging_floor_days(p_msisdn text) RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
  SELECT CASE WHEN sub.party_kind = 'organisation' THEN (p.params ->> 'business_aging_days')::int
              ELSE (p.params ->> 'aging_days')::int END
    FROM (SELECT * FROM custodies WHERE msisdn = p_msisdn ORDER BY started_at DESC LIMIT 1) c
    JOIN recycling_state s ON s.custody_id = c.id
    JOIN recycling_policies p ON p.version = s.policy_version
    JOIN subscribers sub ON sub.id = c.subscriber_id
$$;

-- Numbers that entered aging in a transaction still open: the pool is out of their reach until it commits.
CREATE TABLE aging_entries (
  txid   bigint NOT NULL,
  msisdn text NOT NULL,
  PRIMARY KEY (txid, msisdn)
);
CREATE FUNCTION aging_entries_forget() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM aging_entries WHERE txid = NEW.txid AND msisdn = NEW.msisdn;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER aging_entries_forget AFTER INSERT ON aging_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION aging_entries_forget();

CREATE FUNCTION numbers_aging_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE bad record;
BEGIN
  IF acting_as_owner() THEN RETURN NULL; END IF;
  -- txid_current() is the top-level transaction's, savepoints included.
  INSERT INTO aging_entries
    SELECT txid_current(), n.msisdn FROM old_rows o JOIN new_rows n USING (msisdn)
     WHERE n.state = 'aging' AND o.state <> 'aging'
  ON CONFLICT DO NOTHING;

  SELECT * INTO bad FROM (
    SELECT n.msisdn, n.state_changed_at, c.ended_at, aging_floor_days(n.msisdn) AS days,
           (SELECT p.params ->> 'time_zone' FROM recycling_state s JOIN recycling_policies p ON p.version = s.policy_version
             WHERE s.custody_id = c.id) AS tz,
           EXISTS (SELECT 1 FROM aging_entries a WHERE a.txid = txid_current() AND a.msisdn = n.msisdn) AS just_aged
      FROM old_rows o JOIN new_rows n USING (msisdn)
      LEFT JOIN LATERAL (SELECT * FROM custodies WHERE msisdn = n.msisdn ORDER BY started_at DESC LIMIT 1) c ON true
     WHERE o.state = 'aging' AND n.state = 'available') AS left_aging
   WHERE just_aged OR ended_at IS NULL OR days IS NULL OR tz IS NULL
      OR state_changed_at < local_day_start(ended_at, days, tz)
   ORDER BY msisdn LIMIT 1;
  IF FOUND THEN
    IF bad.just_aged THEN
      RAISE EXCEPTION 'number % entered aging in this transaction: it cannot return to the pool in it', bad.msisdn
        USING ERRCODE = 'NG031';
    END IF;
    RAISE EXCEPTION 'number % may not leave aging before % days after its custody ended (%)', bad.msisdn,
      coalesce(bad.days::text, 'its floor of'), coalesce(bad.ended_at::text, 'never') USING ERRCODE = 'NG031';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER numbers_aging_chain AFTER UPDATE ON numbers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION numbers_aging_chain();
