-- Requests get an approver assigned by the system (DOMAIN: "a supervisor of another shop, assigned by the system",
-- never picked by the requester), and the permanent-disconnection register with its monthly report files (issue 3,
-- item 8). Written for PostgreSQL 15.

-- ── Requests: the assignee, and why a request ended the way it did ──

ALTER TABLE requests ADD COLUMN assigned_to uuid REFERENCES staff (id);
-- What the decision or execution said (a rejection's reason, what an execution produced); never what was asked.
ALTER TABLE requests ADD COLUMN outcome jsonb;
CREATE INDEX requests_assigned ON requests (assigned_to, requested_at) WHERE status IN ('pending', 'approved');
CREATE INDEX requests_status ON requests (status, requested_at DESC);

-- One open request of a kind per number: a second one is refused (DOMAIN: duplicate pending requests are refused).
-- The application marks an expired one 'expired' before it asks again, so an old request never blocks for ever.
CREATE UNIQUE INDEX requests_one_open_per_number ON requests (msisdn, kind)
  WHERE status IN ('pending', 'approved') AND msisdn IS NOT NULL;

-- Only the assignee decides, when there is one; the row-level rules of 005 still apply on top.
CREATE FUNCTION approval_by_assignee() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE assignee uuid;
BEGIN
  SELECT assigned_to INTO assignee FROM requests WHERE id = NEW.request_id;
  IF assignee IS NOT NULL AND assignee <> NEW.approver_id THEN
    RAISE EXCEPTION 'request % is assigned to another approver', NEW.request_id USING ERRCODE = 'NG007';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER approval_by_assignee BEFORE INSERT ON request_approvals
  FOR EACH ROW EXECUTE FUNCTION approval_by_assignee();

-- ── The permanent-disconnection register (US Reassigned Numbers Database convention) ──

-- One file per month, written once: a re-run returns the stored file, byte for byte.
CREATE TABLE disconnection_reports (
  id              uuid PRIMARY KEY,
  month           text NOT NULL UNIQUE CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  -- Disconnections dated up to and including this day (the 10th of the month, operator time zone).
  cutoff_on       date NOT NULL,
  file_name       text NOT NULL,
  content         text NOT NULL,
  file_sha256     text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  disconnections  integer NOT NULL CHECK (disconnections >= 0),
  cancellations   integer NOT NULL CHECK (cancellations >= 0),
  generated_at    timestamptz NOT NULL,
  generated_by    uuid REFERENCES staff (id)
);

-- One row per ended custody that permanently disconnected its number. A reclaim or a late-activity reinstatement
-- during aging cancels it: before it was reported, it simply never appears in a file; after, the next file carries
-- a cancellation line for it.
CREATE TABLE disconnections (
  id                       uuid PRIMARY KEY,
  msisdn                   text NOT NULL REFERENCES numbers (msisdn),
  custody_id               uuid NOT NULL UNIQUE REFERENCES custodies (id),
  disconnected_on          date NOT NULL,
  recorded_at              timestamptz NOT NULL,
  cancelled_at             timestamptz,
  cancel_reason            text CHECK (cancel_reason IN ('reclaim', 'reinstatement', 'restoration')),
  -- The ground of the cancellation: a request id, an activity event id…
  cancel_basis             text,
  reported_in              uuid REFERENCES disconnection_reports (id),
  cancellation_reported_in uuid REFERENCES disconnection_reports (id),
  CONSTRAINT cancellation_has_reason CHECK ((cancelled_at IS NULL) = (cancel_reason IS NULL)),
  CONSTRAINT correction_follows_report CHECK (cancellation_reported_in IS NULL OR
                                              (reported_in IS NOT NULL AND cancelled_at IS NOT NULL))
);
CREATE INDEX disconnections_unreported ON disconnections (disconnected_on) WHERE reported_in IS NULL;
CREATE INDEX disconnections_corrections ON disconnections (cancelled_at)
  WHERE cancelled_at IS NOT NULL AND reported_in IS NOT NULL AND cancellation_reported_in IS NULL;
CREATE INDEX disconnections_number ON disconnections (msisdn);

-- What was recorded never changes: a row is only ever cancelled once, and marked reported once per line.
CREATE FUNCTION disconnection_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'disconnection records are never deleted' USING ERRCODE = 'NGR01';
  END IF;
  IF (NEW.id, NEW.msisdn, NEW.custody_id, NEW.disconnected_on, NEW.recorded_at)
       IS DISTINCT FROM (OLD.id, OLD.msisdn, OLD.custody_id, OLD.disconnected_on, OLD.recorded_at)
     OR (OLD.cancelled_at IS NOT NULL AND (NEW.cancelled_at, NEW.cancel_reason, NEW.cancel_basis)
           IS DISTINCT FROM (OLD.cancelled_at, OLD.cancel_reason, OLD.cancel_basis))
     OR (OLD.reported_in IS NOT NULL AND NEW.reported_in IS DISTINCT FROM OLD.reported_in)
     OR (OLD.cancellation_reported_in IS NOT NULL
           AND NEW.cancellation_reported_in IS DISTINCT FROM OLD.cancellation_reported_in) THEN
    RAISE EXCEPTION 'a disconnection record is only cancelled once and reported once' USING ERRCODE = 'NGR01';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER disconnection_rules BEFORE UPDATE OR DELETE ON disconnections
  FOR EACH ROW EXECUTE FUNCTION disconnection_rules();

CREATE FUNCTION disconnection_reports_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a disconnection report file is written once' USING ERRCODE = 'NGR01';
END $$;
CREATE TRIGGER disconnection_reports_rules BEFORE UPDATE OR DELETE ON disconnection_reports
  FOR EACH ROW EXECUTE FUNCTION disconnection_reports_rules();

-- The register is evidence for the regulator: like custody, no change commits without its audit record (002).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['disconnections', 'disconnection_reports'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_audit_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
  END LOOP;
END $$;
CREATE TRIGGER disconnections_audit_upd AFTER UPDATE ON disconnections REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows();

GRANT SELECT, INSERT ON disconnection_reports TO numguard_app;
GRANT SELECT, INSERT ON disconnections TO numguard_app;
GRANT UPDATE (cancelled_at, cancel_reason, cancel_basis, reported_in, cancellation_reported_in) ON disconnections
  TO numguard_app;

-- ── Reclaim: the custody goes back only to the former holder the executed request names (invariant 2) ──

-- 002/008 check that a reclaim custody names an executed reclaim request for the number; this adds what that request
-- is about: the number is aging, its latest custody ended for inactivity, and both that custody and its subscriber
-- are the ones the request's payload names (the payload the approver signed).
CREATE FUNCTION custody_reclaim_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE previous custodies; asked jsonb;
BEGIN
  IF NEW.basis <> 'reclaim' THEN RETURN NEW; END IF;
  SELECT * INTO previous FROM custodies WHERE msisdn = NEW.msisdn ORDER BY started_at DESC LIMIT 1;
  SELECT payload INTO asked FROM requests WHERE id = NEW.request_id;
  IF NOT EXISTS (SELECT 1 FROM numbers WHERE msisdn = NEW.msisdn AND state = 'aging')
     OR previous.id IS NULL OR previous.end_reason IS DISTINCT FROM 'inactivity'
     OR previous.subscriber_id <> NEW.subscriber_id
     OR asked ->> 'former_custody_id' IS DISTINCT FROM previous.id::text
     OR asked ->> 'subscriber_id' IS DISTINCT FROM NEW.subscriber_id::text THEN
    RAISE EXCEPTION 'a reclaim of % gives an aging number back only to the holder its request names, whose custody was withdrawn for inactivity',
      NEW.msisdn USING ERRCODE = 'NG005';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER custody_reclaim_rule BEFORE INSERT ON custodies FOR EACH ROW EXECUTE FUNCTION custody_reclaim_rule();
