-- Holder consent, notify-wait-execute and SIM-swap controls (issue 4, items 3–8). Written for PostgreSQL 15.
-- A consent kind (transfer, sim_swap, termination, kyc_change) now executes on its recorded consents instead of
-- being refused outright (005): the holder's `YES <code>` by SMS reply from the number, and for a transfer the new
-- holder's ID check in the shop. Codes are kept only as HMACs; every table here is guarded by the audit rule (002).

-- ── Which consents each consent kind needs before it executes (DOMAIN's request table) ──
CREATE TABLE request_kind_consents (
  kind   text NOT NULL REFERENCES request_kind_rules (kind),
  party  text NOT NULL CHECK (party IN ('holder', 'former_holder', 'new_holder')),
  method text NOT NULL CHECK (method IN ('mo_code', 'id_check')),
  PRIMARY KEY (kind, party)
);
INSERT INTO request_kind_consents (kind, party, method) VALUES
  ('transfer', 'holder', 'mo_code'), ('transfer', 'new_holder', 'id_check'), ('sim_swap', 'holder', 'mo_code'),
  ('termination', 'holder', 'mo_code'), ('kyc_change', 'holder', 'mo_code');
GRANT SELECT ON request_kind_consents TO numguard_app;

-- ── Recorded consents: one per request, party and method, written once, never changed ──
CREATE TABLE request_consents (
  id          uuid PRIMARY KEY,
  request_id  uuid NOT NULL REFERENCES requests (id),
  party       text NOT NULL CHECK (party IN ('holder', 'former_holder', 'new_holder')),
  method      text NOT NULL CHECK (method IN ('mo_code', 'id_check')),
  recorded_at timestamptz NOT NULL,
  -- mo_code: { mo_id, from, code_id }; id_check: { staff_id, subscriber_id, kyc_doc_last4 } — never a code or a document.
  evidence    jsonb NOT NULL,
  -- A holder may give both kinds: their code by SMS, and (a swap under the lock) their ID in a shop.
  UNIQUE (request_id, party, method)
);
CREATE INDEX request_consents_request ON request_consents (request_id);

CREATE FUNCTION request_consent_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE r requests;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION 'a recorded consent is never changed or deleted' USING ERRCODE = 'NG007';
  END IF;
  SELECT * INTO r FROM requests WHERE id = NEW.request_id;
  IF r.status NOT IN ('pending', 'approved') THEN
    RAISE EXCEPTION 'consent is recorded only on an open request (% is %)', NEW.request_id, r.status USING ERRCODE = 'NG007';
  END IF;
  -- The holder's code consent comes only from the number itself (the MO's sender), never from a person at a desk.
  IF NEW.method = 'mo_code' AND (NEW.evidence ->> 'from' IS DISTINCT FROM r.msisdn OR NEW.evidence ->> 'mo_id' IS NULL) THEN
    RAISE EXCEPTION 'a code consent for % must be an SMS reply from that number', r.msisdn USING ERRCODE = 'NG007';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER request_consent_rules BEFORE INSERT OR UPDATE OR DELETE ON request_consents
  FOR EACH ROW EXECUTE FUNCTION request_consent_rules();

-- ── One-time consent codes, bound to one request and purpose; only an HMAC of the code is kept ──
CREATE TABLE consent_codes (
  id          uuid PRIMARY KEY,
  request_id  uuid NOT NULL REFERENCES requests (id),
  msisdn      text NOT NULL REFERENCES numbers (msisdn),
  party       text NOT NULL CHECK (party IN ('holder')),
  purpose     text NOT NULL,
  code_salt   bytea,
  code_hash   bytea,
  state       text NOT NULL CHECK (state IN ('pending', 'used', 'expired', 'void', 'superseded')),
  attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  notice_id   uuid REFERENCES sms_notices (id),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  closed_at   timestamptz,
  CONSTRAINT closed_codes_forget_their_hash CHECK ((state = 'pending') = (code_hash IS NOT NULL AND closed_at IS NULL))
);
CREATE INDEX consent_codes_pending ON consent_codes (msisdn) WHERE state = 'pending';
CREATE INDEX consent_codes_request ON consent_codes (request_id);

-- ── The SIM-swap lock: one row per custody (a lock is the holder's, and ends with their custody) ──
CREATE TABLE sim_swap_locks (
  custody_id          uuid PRIMARY KEY REFERENCES custodies (id),
  msisdn              text NOT NULL REFERENCES numbers (msisdn),
  locked_at           timestamptz NOT NULL,
  locked_via          text NOT NULL CHECK (locked_via IN ('sms', 'shop')),
  -- UNLOCK asked at; the lock stays on until unlocks_at (24 h later). A LOCK meanwhile clears both.
  unlock_requested_at timestamptz,
  unlocks_at          timestamptz,
  updated_at          timestamptz NOT NULL,
  CONSTRAINT unlock_has_time CHECK ((unlock_requested_at IS NULL) = (unlocks_at IS NULL))
);
CREATE INDEX sim_swap_locks_number ON sim_swap_locks (msisdn);
-- The worker tells the holder when an UNLOCK takes effect; this is the unlocks_at it told them about (once each).
ALTER TABLE sim_swap_locks ADD COLUMN unlock_noticed_for timestamptz;
CREATE INDEX sim_swap_locks_unlocking ON sim_swap_locks (unlocks_at) WHERE unlocks_at IS NOT NULL;

-- A SIM swap (holder has the SIM) under the lock binds a new SIM only on an ID check in a shop, recorded as consent.
CREATE FUNCTION binding_swap_lock_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.request_id IS NOT NULL
     AND EXISTS (SELECT 1 FROM requests r WHERE r.id = NEW.request_id AND r.kind = 'sim_swap')
     AND EXISTS (SELECT 1 FROM sim_swap_locks l WHERE l.custody_id = NEW.custody_id
                   AND (l.unlocks_at IS NULL OR l.unlocks_at > NEW.started_at))
     AND NOT EXISTS (SELECT 1 FROM request_consents c WHERE c.request_id = NEW.request_id AND c.method = 'id_check') THEN
    RAISE EXCEPTION 'the SIM-swap lock of % is on: a swap needs the holder''s ID checked in a shop', NEW.msisdn
      USING ERRCODE = 'NG008';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER binding_swap_lock_rule BEFORE INSERT ON sim_bindings FOR EACH ROW EXECUTE FUNCTION binding_swap_lock_rule();

-- ── The swap history for the CAMARA SIM Swap API: every binding that a swap request started ──
CREATE VIEW sim_swaps AS
  SELECT b.msisdn, b.started_at AS swapped_at, b.iccid AS new_iccid, b.custody_id, r.id AS request_id, r.kind,
         -- The binding the swap ended: of the same number, ended when this one started.
         (SELECT p.iccid FROM sim_bindings p WHERE p.msisdn = b.msisdn AND p.id <> b.id AND p.ended_at IS NOT NULL
             AND p.ended_at <= b.started_at
           ORDER BY p.ended_at DESC, p.started_at DESC LIMIT 1) AS old_iccid
    FROM sim_bindings b JOIN requests r ON r.id = b.request_id
   WHERE r.kind IN ('sim_swap', 'sim_swap_lost');
GRANT SELECT ON sim_swaps TO numguard_app;

-- ── Requests: 005's rule, with consent kinds executing on their recorded consents ──
CREATE OR REPLACE FUNCTION request_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE rule request_kind_rules; missing text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'pending' OR NEW.decided_at IS NOT NULL OR NEW.executed_at IS NOT NULL THEN
      RAISE EXCEPTION 'a request is born pending' USING ERRCODE = 'NG007';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.id, NEW.kind, NEW.msisdn, NEW.payload, NEW.payload_sha256, NEW.requested_by, NEW.requested_at, NEW.not_before)
     IS DISTINCT FROM (OLD.id, OLD.kind, OLD.msisdn, OLD.payload, OLD.payload_sha256, OLD.requested_by, OLD.requested_at,
                       OLD.not_before) THEN
    RAISE EXCEPTION 'what a request asks, who asked, and its waiting time never change' USING ERRCODE = 'NG007';
  END IF;
  IF NEW.status = OLD.status THEN RETURN NEW; END IF;
  IF NOT ((OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected', 'cancelled', 'expired'))
       OR (OLD.status = 'approved' AND NEW.status IN ('executed', 'cancelled', 'expired'))) THEN
    RAISE EXCEPTION 'request % may not go from % to %', NEW.id, OLD.status, NEW.status USING ERRCODE = 'NG007';
  END IF;
  IF NEW.status IN ('approved', 'executed') THEN
    SELECT * INTO rule FROM request_kind_rules WHERE kind = NEW.kind;
    -- Consents: required to execute; for a kind with no approver, the holder's consent is what approves it.
    IF rule.needs_consent AND (NEW.status = 'executed' OR rule.approver_role IS NULL) THEN
      SELECT string_agg(k.party, ', ') INTO missing FROM request_kind_consents k
       WHERE k.kind = NEW.kind AND NOT EXISTS (
         SELECT 1 FROM request_consents c WHERE c.request_id = NEW.id AND c.party = k.party AND c.method = k.method);
      IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'request % (%) has no recorded consent of: %', NEW.id, NEW.kind, missing USING ERRCODE = 'NG007';
      END IF;
    END IF;
    IF NEW.status = 'executed' AND NEW.not_before IS NOT NULL AND NEW.executed_at < NEW.not_before THEN
      RAISE EXCEPTION 'request % executes from %, after its waiting time', NEW.id, NEW.not_before USING ERRCODE = 'NG007';
    END IF;
    IF rule.approver_role IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM request_approvals a
           JOIN staff approver ON approver.id = a.approver_id
           JOIN staff requester ON requester.id = NEW.requested_by
          WHERE a.request_id = NEW.id AND a.decision = 'approved' AND a.voided_at IS NULL
            AND a.payload_sha256 = NEW.payload_sha256 AND a.approver_id <> NEW.requested_by
            AND approver.status = 'active' AND rule.approver_role = ANY (approver.roles)
            AND (NOT rule.other_shop OR approver.shop_id IS DISTINCT FROM requester.shop_id)) THEN
      RAISE EXCEPTION 'request % has no approval of its payload by another active %', NEW.id, rule.approver_role
        USING ERRCODE = 'NG007';
    END IF;
  END IF;
  RETURN NEW;
END $$;

-- ── The worker's memory of a due change that could not execute ──
-- Retried with a growing wait (sooner when an approval or consent arrives), alerted once per request and reason.
-- Bookkeeping of the worker, like recycling_state: the refusal's alert (and its audit record) is the evidence.
CREATE TABLE change_execution_failures (
  request_id      uuid PRIMARY KEY REFERENCES requests (id),
  -- The refusal's error code (with the SQLSTATE when the database refused), e.g. approval_no_longer_valid.
  reason          text NOT NULL,
  attempts        integer NOT NULL CHECK (attempts > 0),
  first_failed_at timestamptz NOT NULL,
  last_failed_at  timestamptz NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  -- The alert raised when this reason first stopped the request.
  alert_id        uuid REFERENCES alerts (id)
);
GRANT SELECT, INSERT, UPDATE ON change_execution_failures TO numguard_app;

-- ── The audit rule (002) over the new tables ──
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['request_consents', 'consent_codes', 'sim_swap_locks'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_audit_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
    EXECUTE format('CREATE TRIGGER %1$s_audit_upd AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
  END LOOP;
END $$;

GRANT SELECT, INSERT ON request_consents TO numguard_app;
GRANT SELECT, INSERT ON consent_codes TO numguard_app;
GRANT UPDATE (state, attempts, code_salt, code_hash, closed_at, notice_id) ON consent_codes TO numguard_app;
GRANT SELECT, INSERT ON sim_swap_locks TO numguard_app;
GRANT UPDATE (locked_at, locked_via, unlock_requested_at, unlocks_at, updated_at, unlock_noticed_for) ON sim_swap_locks
  TO numguard_app;
