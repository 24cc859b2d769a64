-- Cases, protective holds, restorations and compensation (issue 11). DOMAIN's invariant 3 — nothing changes a held
-- number's custody or SIM, except the restoration its case orders — is enforced here, against the application's own
-- login, per kind of change:
--   * a custody opened or ended, a SIM binding opened or ended, a number's state changed, or a request on the number
--     executed, while the number has an active hold, is refused (NG042);
--   * except what a restoration executed in this transaction does for its own case (a `restorations` row of this
--     transaction, written by the restoration and checked against the executed request, the case and the custodies),
--     and the hold_release or restoration request of that case itself;
--   * a custody with basis restoration goes only to the subscriber of a former custody of the number that the case
--     names, and a custody ends as restored_to_rightful_holder only by that restoration.
-- Holds are released only by an executed hold_release request naming them; nothing about a hold is deleted.

-- ── Service levels per market (hours from the complaint) ──
ALTER TABLE markets
  ADD COLUMN case_hold_hours           integer NOT NULL DEFAULT 24  CHECK (case_hold_hours BETWEEN 1 AND 168),
  ADD COLUMN case_first_response_hours integer NOT NULL DEFAULT 48  CHECK (case_first_response_hours BETWEEN 1 AND 720),
  ADD COLUMN case_resolution_hours     integer NOT NULL DEFAULT 720 CHECK (case_resolution_hours BETWEEN 24 AND 8760);

-- The wrongful custody of a restoration ends with its own reason (the request table's `restoration` stays for
-- nothing else); the barred number's network state has its own provisioning kinds.
ALTER TABLE custodies DROP CONSTRAINT custodies_end_reason_check;
ALTER TABLE custodies ADD CONSTRAINT custodies_end_reason_check CHECK (end_reason IN ('inactivity','termination',
  'transfer','legal_order','restoration','ported_out','migration','restored_to_rightful_holder'));
ALTER TABLE provisioning_events DROP CONSTRAINT provisioning_events_kind_check;
ALTER TABLE provisioning_events ADD CONSTRAINT provisioning_events_kind_check
  CHECK (kind IN ('bar_outgoing', 'unbar', 'withdraw', 'restore', 'sim_change', 'hold_bar', 'hold_unbar'));

-- ── Cases ──
CREATE SEQUENCE case_reference_seq;
GRANT USAGE ON SEQUENCE case_reference_seq TO numguard_app;

CREATE TABLE cases (
  id                     uuid PRIMARY KEY,
  reference              text NOT NULL UNIQUE,
  kind                   text NOT NULL CHECK (kind IN ('complaint', 'investigation')),
  category               text NOT NULL CHECK (category IN ('number_taken', 'unauthorised_sim_swap', 'unwanted_transfer',
                                                          'missed_warning', 'other')),
  description            text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
  status                 text NOT NULL CHECK (status IN ('open', 'investigating', 'resolved', 'closed')),
  market                 text NOT NULL REFERENCES markets (code),
  opened_by              uuid NOT NULL REFERENCES staff (id),
  opened_in_shop         text REFERENCES shops (id),
  opened_at              timestamptz NOT NULL,
  owner_id               uuid REFERENCES staff (id),
  -- A complaint's complainant: the subscriber of the custody (usually a former one) they proved themselves against.
  complainant_subscriber_id uuid REFERENCES subscribers (id),
  complainant_custody_id uuid REFERENCES custodies (id),
  complainant_method     text CHECK (complainant_method IN ('id_document', 'alt_contact_code')),
  -- How to reach them now (their number may ring someone else's SIM).
  complainant_contact    text,
  hold_due_at            timestamptz NOT NULL,
  first_response_due_at  timestamptz NOT NULL,
  resolution_due_at      timestamptz NOT NULL,
  first_response_at      timestamptz,
  confirmed_at           timestamptz,
  confirmed_by           uuid REFERENCES staff (id),
  resolved_at            timestamptz,
  closed_at              timestamptz,
  conclusion             text CHECK (conclusion IN ('staff_misconduct', 'no_misconduct', 'unfounded', 'customer_error',
                                                    'other')),
  findings               text CHECK (length(findings) <= 8000),
  CONSTRAINT complaint_has_complainant CHECK ((kind = 'complaint') = (complainant_custody_id IS NOT NULL)
                                              AND (complainant_custody_id IS NULL) = (complainant_method IS NULL)
                                              AND (complainant_custody_id IS NULL) = (complainant_subscriber_id IS NULL)),
  CONSTRAINT resolved_has_findings CHECK (status IN ('open', 'investigating')
                                          OR (resolved_at IS NOT NULL AND conclusion IS NOT NULL)),
  CONSTRAINT closed_has_time CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX cases_status ON cases (status, opened_at);

-- The wrongful holder of a restored number: their subscriber record is kept, flagged with the case.
ALTER TABLE subscribers ADD COLUMN flagged_by_case uuid REFERENCES cases (id);
GRANT UPDATE (flagged_by_case) ON subscribers TO numguard_app;

-- The numbers a case is about.
CREATE TABLE case_numbers (
  case_id uuid NOT NULL REFERENCES cases (id),
  msisdn  text NOT NULL REFERENCES numbers (msisdn),
  PRIMARY KEY (case_id, msisdn)
);
CREATE INDEX case_numbers_msisdn ON case_numbers (msisdn);

-- The staff, requests and custodies a case names (a restoration's rightful custody must be among them).
CREATE TABLE case_links (
  case_id   uuid NOT NULL REFERENCES cases (id),
  link_kind text NOT NULL CHECK (link_kind IN ('staff', 'request', 'custody')),
  ref_id    uuid NOT NULL,
  note      text CHECK (length(note) <= 1000),
  linked_by uuid REFERENCES staff (id),
  linked_at timestamptz NOT NULL,
  PRIMARY KEY (case_id, link_kind, ref_id)
);

-- A code sent to the alternate contact of a (usually former) custody's subscriber, proving a complainant is them.
-- Kept as the customer-session codes are (src/customers/codes.ts): an HMAC bound to this challenge and agent.
CREATE TABLE complainant_codes (
  id            uuid PRIMARY KEY,
  msisdn        text NOT NULL REFERENCES numbers (msisdn),
  custody_id    uuid NOT NULL REFERENCES custodies (id),
  subscriber_id uuid NOT NULL REFERENCES subscribers (id),
  staff_id      uuid NOT NULL REFERENCES staff (id),
  session_id    uuid NOT NULL,
  code_salt     bytea NOT NULL,
  code_hash     bytea NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  attempts      integer NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 5),
  used_at       timestamptz
);
CREATE INDEX complainant_codes_staff ON complainant_codes (staff_id, created_at);

-- ── Holds ──
CREATE TABLE holds (
  id                 uuid PRIMARY KEY,
  msisdn             text NOT NULL REFERENCES numbers (msisdn),
  case_id            uuid NOT NULL REFERENCES cases (id),
  placed_by          uuid NOT NULL REFERENCES staff (id),
  placed_at          timestamptz NOT NULL,
  reason             text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  released_at        timestamptz,
  release_request_id uuid REFERENCES requests (id),
  CONSTRAINT release_has_request CHECK ((released_at IS NULL) = (release_request_id IS NULL))
);
CREATE UNIQUE INDEX holds_one_per_case ON holds (case_id, msisdn) WHERE released_at IS NULL;
CREATE INDEX holds_active ON holds (msisdn) WHERE released_at IS NULL;

-- ── Restorations: what one executed restoration request does, in its own transaction ──
CREATE TABLE restorations (
  request_id          uuid PRIMARY KEY REFERENCES requests (id),
  case_id             uuid NOT NULL REFERENCES cases (id),
  msisdn              text NOT NULL REFERENCES numbers (msisdn),
  wrongful_custody_id uuid REFERENCES custodies (id),
  rightful_custody_id uuid NOT NULL REFERENCES custodies (id),
  txid                bigint NOT NULL
);

-- ── Compensation offers and the measures a case took ──
CREATE TABLE compensation_offers (
  id           uuid PRIMARY KEY,
  case_id      uuid NOT NULL REFERENCES cases (id),
  kind         text NOT NULL CHECK (kind IN ('money', 'service_credit')),
  amount       numeric(14, 2) CHECK (amount > 0),
  currency     text CHECK (currency ~ '^[A-Z]{3}$'),
  credit       text CHECK (length(credit) BETWEEN 1 AND 500),
  offered_by   uuid NOT NULL REFERENCES staff (id),
  offered_at   timestamptz NOT NULL,
  response     text CHECK (response IN ('accepted', 'declined', 'no_answer')),
  responded_at timestamptz,
  recorded_by  uuid REFERENCES staff (id),
  CONSTRAINT offer_has_value CHECK ((kind = 'money' AND amount IS NOT NULL AND currency IS NOT NULL AND credit IS NULL)
                                 OR (kind = 'service_credit' AND credit IS NOT NULL AND amount IS NULL)),
  CONSTRAINT response_has_time CHECK ((response IS NULL) = (responded_at IS NULL)
                                      AND (response IS NULL) = (recorded_by IS NULL))
);

CREATE TABLE case_measures (
  id          uuid PRIMARY KEY,
  case_id     uuid NOT NULL REFERENCES cases (id),
  kind        text NOT NULL CHECK (kind IN ('staff_suspended', 'staff_retrained', 'process_change', 'other')),
  staff_id    uuid REFERENCES staff (id),
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
  recorded_by uuid NOT NULL REFERENCES staff (id),
  recorded_at timestamptz NOT NULL,
  CONSTRAINT suspension_names_staff CHECK (kind <> 'staff_suspended' OR staff_id IS NOT NULL)
);

-- ── The rules ──

-- A case's identity, complainant and deadlines never change; its status only moves forward (open → investigating →
-- resolved → closed, a step may be skipped); the first response and the confirmation are recorded once.
CREATE FUNCTION case_rules() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE fixed text[] := ARRAY['id', 'reference', 'kind', 'category', 'market', 'opened_by', 'opened_in_shop',
  'opened_at', 'complainant_subscriber_id', 'complainant_custody_id', 'complainant_method', 'hold_due_at',
  'first_response_due_at', 'resolution_due_at'];
  steps text[] := ARRAY['open', 'investigating', 'resolved', 'closed'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'a case is never deleted' USING ERRCODE = 'NG042';
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'open' OR NEW.first_response_at IS NOT NULL OR NEW.confirmed_at IS NOT NULL THEN
      RAISE EXCEPTION 'a case opens open, unanswered and unconfirmed' USING ERRCODE = 'NG042';
    END IF;
    RETURN NEW;
  END IF;
  IF (SELECT jsonb_object_agg(k, v) FROM jsonb_each(to_jsonb(NEW)) AS e(k, v) WHERE k = ANY (fixed))
     <> (SELECT jsonb_object_agg(k, v) FROM jsonb_each(to_jsonb(OLD)) AS e(k, v) WHERE k = ANY (fixed))
     OR array_position(steps, NEW.status) < array_position(steps, OLD.status)
     OR (OLD.first_response_at IS NOT NULL AND NEW.first_response_at IS DISTINCT FROM OLD.first_response_at)
     OR (OLD.confirmed_at IS NOT NULL AND (NEW.confirmed_at, NEW.confirmed_by) IS DISTINCT FROM
                                          (OLD.confirmed_at, OLD.confirmed_by))
     OR (OLD.resolved_at IS NOT NULL AND NEW.resolved_at IS DISTINCT FROM OLD.resolved_at) THEN
    RAISE EXCEPTION 'case %: its identity, complainant and deadlines stay; its status only moves forward', OLD.reference
      USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER case_rules BEFORE INSERT OR UPDATE OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION case_rules();

-- An offer's terms stay; its response is recorded once.
CREATE FUNCTION offer_rules() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.response IS NOT NULL OR NEW.response IS NULL
     OR (to_jsonb(NEW) - 'response' - 'responded_at' - 'recorded_by')
        <> (to_jsonb(OLD) - 'response' - 'responded_at' - 'recorded_by') THEN
    RAISE EXCEPTION 'a compensation offer keeps its terms; its response is recorded once' USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER offer_rules BEFORE UPDATE OR DELETE ON compensation_offers FOR EACH ROW EXECUTE FUNCTION offer_rules();

-- The case whose active hold refuses a change of `p_msisdn` now, or NULL: every active hold on the number, unless
-- a restoration of that hold's own case runs in this transaction.
CREATE FUNCTION hold_refusing(p_msisdn text) RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
  SELECT c.reference FROM holds h JOIN cases c ON c.id = h.case_id
   WHERE h.msisdn = p_msisdn AND h.released_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM restorations r
                      WHERE r.msisdn = p_msisdn AND r.case_id = h.case_id AND r.txid = txid_current())
   ORDER BY h.placed_at LIMIT 1
$$;

CREATE FUNCTION hold_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE held text := hold_refusing(NEW.msisdn);
BEGIN
  IF held IS NOT NULL THEN
    RAISE EXCEPTION 'number % is on hold (case %): its custody, SIM and state do not change', NEW.msisdn, held
      USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER custodies_hold_guard BEFORE INSERT OR UPDATE ON custodies
  FOR EACH ROW EXECUTE FUNCTION hold_guard();
CREATE TRIGGER sim_bindings_hold_guard BEFORE INSERT OR UPDATE ON sim_bindings
  FOR EACH ROW EXECUTE FUNCTION hold_guard();
-- A top-up that reopens a suspended number is the one state change a hold lets through: it changes no custody and
-- no SIM, and the network bar of a confirmed case stays in force.
CREATE TRIGGER numbers_hold_guard BEFORE UPDATE ON numbers
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NOT (OLD.state = 'suspended' AND NEW.state = 'active'))
  EXECUTE FUNCTION hold_guard();

-- A request on a held number executes only if it is a hold release, or the restoration of the hold's own case.
CREATE FUNCTION request_hold_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE held record;
BEGIN
  SELECT c.reference, h.case_id INTO held FROM holds h JOIN cases c ON c.id = h.case_id
   WHERE h.msisdn = NEW.msisdn AND h.released_at IS NULL
     AND NOT (NEW.kind = 'hold_release' OR (NEW.kind = 'restoration' AND NEW.payload ->> 'case_id' = h.case_id::text))
   LIMIT 1;
  IF held.case_id IS NOT NULL THEN
    RAISE EXCEPTION 'number % is on hold (case %): request % waits until the hold is released', NEW.msisdn,
      held.reference, NEW.id USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER requests_hold_guard BEFORE UPDATE ON requests
  FOR EACH ROW WHEN (NEW.status = 'executed' AND OLD.status <> 'executed' AND NEW.msisdn IS NOT NULL)
  EXECUTE FUNCTION request_hold_guard();

-- A hold is placed on a number of its case, and only ever released, once, by an executed hold_release request
-- that names it.
CREATE FUNCTION hold_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'a hold is never deleted' USING ERRCODE = 'NG042';
  ELSIF TG_OP = 'INSERT' THEN
    IF NEW.released_at IS NOT NULL
       OR NOT EXISTS (SELECT 1 FROM case_numbers n WHERE n.case_id = NEW.case_id AND n.msisdn = NEW.msisdn) THEN
      RAISE EXCEPTION 'a hold is placed active, on a number of its case' USING ERRCODE = 'NG042';
    END IF;
  ELSIF OLD.released_at IS NOT NULL OR NEW.released_at IS NULL
     OR (to_jsonb(NEW) - 'released_at' - 'release_request_id') <> (to_jsonb(OLD) - 'released_at' - 'release_request_id')
     OR NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = NEW.release_request_id AND r.kind = 'hold_release'
                       AND r.status = 'executed' AND r.msisdn = OLD.msisdn AND r.payload ->> 'hold_id' = OLD.id::text) THEN
    RAISE EXCEPTION 'hold % is released only by its executed hold_release request', OLD.id USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER hold_rules BEFORE INSERT OR UPDATE OR DELETE ON holds FOR EACH ROW EXECUTE FUNCTION hold_rules();

-- A restoration row is the executed restoration request of its case, for the number's open (wrongful) custody and
-- a former custody of the number that the case names; it is stamped with its transaction.
CREATE FUNCTION restoration_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE r requests; rightful custodies;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION 'a restoration is written once' USING ERRCODE = 'NG042';
  END IF;
  NEW.txid := txid_current();
  SELECT * INTO r FROM requests WHERE id = NEW.request_id;
  IF r.kind IS DISTINCT FROM 'restoration' OR r.status <> 'executed' OR r.msisdn <> NEW.msisdn
     OR r.payload ->> 'case_id' IS DISTINCT FROM NEW.case_id::text
     OR r.payload ->> 'rightful_custody_id' IS DISTINCT FROM NEW.rightful_custody_id::text
     OR (r.payload ->> 'wrongful_custody_id') IS DISTINCT FROM NEW.wrongful_custody_id::text THEN
    RAISE EXCEPTION 'a restoration of % rests on its executed restoration request, as filed', NEW.msisdn
      USING ERRCODE = 'NG042';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM case_numbers n WHERE n.case_id = NEW.case_id AND n.msisdn = NEW.msisdn) THEN
    RAISE EXCEPTION 'case % is not about number %', NEW.case_id, NEW.msisdn USING ERRCODE = 'NG042';
  END IF;
  SELECT * INTO rightful FROM custodies WHERE id = NEW.rightful_custody_id;
  IF rightful.msisdn IS DISTINCT FROM NEW.msisdn OR rightful.ended_at IS NULL
     OR NOT EXISTS (SELECT 1 FROM case_links l WHERE l.case_id = NEW.case_id AND l.link_kind = 'custody'
                       AND l.ref_id = NEW.rightful_custody_id) THEN
    RAISE EXCEPTION 'a restoration of % goes to a former custody of the number that its case names', NEW.msisdn
      USING ERRCODE = 'NG042';
  END IF;
  IF NEW.wrongful_custody_id IS DISTINCT FROM
       (SELECT id FROM custodies WHERE msisdn = NEW.msisdn AND ended_at IS NULL) THEN
    RAISE EXCEPTION 'a restoration of % ends the custody open now', NEW.msisdn USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER restoration_rules BEFORE INSERT OR UPDATE OR DELETE ON restorations
  FOR EACH ROW EXECUTE FUNCTION restoration_rules();

-- A restored custody goes to the rightful holder of this transaction's restoration, and a custody ends as
-- restored_to_rightful_holder only as that restoration's wrongful custody.
CREATE FUNCTION custody_restoration_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' AND NEW.basis = 'restoration' AND NOT EXISTS (
       SELECT 1 FROM restorations r JOIN custodies c ON c.id = r.rightful_custody_id
        WHERE r.request_id = NEW.request_id AND r.msisdn = NEW.msisdn AND r.txid = txid_current()
          AND c.subscriber_id = NEW.subscriber_id) THEN
    RAISE EXCEPTION 'a restoration of % goes only to the subscriber of a former custody its case names', NEW.msisdn
      USING ERRCODE = 'NG042';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.end_reason IN ('restored_to_rightful_holder', 'restoration') AND NOT EXISTS (
       SELECT 1 FROM restorations r WHERE r.wrongful_custody_id = OLD.id AND r.txid = txid_current()) THEN
    RAISE EXCEPTION 'custody % ends by restoration only in its executed restoration', OLD.id USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER custody_restoration_rule BEFORE INSERT OR UPDATE ON custodies
  FOR EACH ROW EXECUTE FUNCTION custody_restoration_rule();

-- Four eyes on a restoration: its approver is not the owner of the case that orders it.
CREATE FUNCTION restoration_approver_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM requests r JOIN cases c ON c.id::text = r.payload ->> 'case_id'
              WHERE r.id = NEW.request_id AND r.kind = 'restoration' AND c.owner_id = NEW.approver_id) THEN
    RAISE EXCEPTION 'the owner of a case does not approve its restoration' USING ERRCODE = 'NG042';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER restoration_approver_rule BEFORE INSERT ON request_approvals
  FOR EACH ROW EXECUTE FUNCTION restoration_approver_rule();

-- Every change to these tables writes its audit leaf in the same transaction (invariant 6).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['cases', 'case_numbers', 'case_links', 'holds', 'restorations', 'compensation_offers',
                           'case_measures', 'complainant_codes'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_audit_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
    EXECUTE format('CREATE TRIGGER %1$s_audit_upd AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
  END LOOP;
END $$;

-- The leaves that may describe a restoration's row changes (039's per-row needs).
INSERT INTO row_leaf_kinds (tbl, change, action) VALUES
  ('custodies', 'start:restoration', 'number.restored'),
  ('custodies', 'end:restored_to_rightful_holder', 'number.restored'),
  ('sim_bindings', 'start', 'number.restored'),
  ('sim_bindings', 'end:custody_ended', 'number.restored'),
  ('numbers', 'suspended->active', 'number.restored'),
  ('numbers', 'aging->active', 'number.restored'),
  ('numbers', 'available->active', 'number.restored');

GRANT SELECT, INSERT, UPDATE ON cases, compensation_offers, complainant_codes TO numguard_app;
GRANT SELECT, INSERT ON case_numbers, case_links, holds, restorations, case_measures TO numguard_app;
GRANT UPDATE (released_at, release_request_id) ON holds TO numguard_app;
