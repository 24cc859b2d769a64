-- Customer sessions (issue 4 item 2, invariant 10): an agent sees a subscriber's details only inside a session
-- opened by authenticating the customer — a one-time code sent by SMS to the number and read back to the agent, or
-- an ID document matching the KYC hash. Failed attempts count per agent AND number; too many lock that agent out of
-- that number (never the holder). Written for PostgreSQL 15; every table here is guarded by the audit rule.

-- When the subscriber's KYC identity last changed (set by the kyc_change request's executor): ID-only
-- authentication is refused for 30 days after it (DOMAIN, request table).
ALTER TABLE subscribers ADD COLUMN kyc_changed_at timestamptz;

-- One row per attempt to open a customer's account: born `awaiting_code` (sms_code) or `open` (id_document).
-- The code exists only as HMAC-SHA-256 under a key derived from NUMGUARD_KYC_KEY, over a per-code salt and the
-- binding "open subscriber S at number M by staff A in staff session T, challenge C"; it is wiped once the challenge
-- is settled. A customer session is tied to the staff session that opened it and ends with it.
CREATE TABLE customer_sessions (
  id                uuid PRIMARY KEY,
  staff_id          uuid NOT NULL REFERENCES staff (id),
  staff_session_id  uuid NOT NULL REFERENCES sessions (id),
  subscriber_id     uuid NOT NULL REFERENCES subscribers (id),
  msisdn            text NOT NULL,
  custody_id        uuid NOT NULL REFERENCES custodies (id),
  method            text NOT NULL CHECK (method IN ('sms_code', 'id_document')),
  state             text NOT NULL CHECK (state IN ('awaiting_code', 'open', 'closed', 'failed', 'expired')),
  code_salt         bytea,
  code_hash         bytea,
  code_expires_at   timestamptz,
  code_attempts     integer NOT NULL DEFAULT 0 CHECK (code_attempts >= 0),
  notice_id         uuid REFERENCES sms_notices (id),
  created_at        timestamptz NOT NULL,
  opened_at         timestamptz,
  expires_at        timestamptz,
  closed_at         timestamptz,
  close_reason      text,
  CONSTRAINT customer_code_only_while_awaited CHECK ((state = 'awaiting_code') = (code_hash IS NOT NULL AND code_salt IS NOT NULL)),
  CONSTRAINT customer_code_only_for_sms CHECK (method = 'sms_code' OR (code_expires_at IS NULL AND notice_id IS NULL)),
  CONSTRAINT customer_code_has_expiry CHECK (method <> 'sms_code' OR code_expires_at IS NOT NULL),
  CONSTRAINT customer_session_open_has_times CHECK (state <> 'open' OR (opened_at IS NOT NULL AND expires_at > opened_at)),
  CONSTRAINT customer_session_closed_has_time CHECK (state IN ('awaiting_code', 'open') OR closed_at IS NOT NULL)
);
CREATE INDEX customer_sessions_staff ON customer_sessions (staff_id, staff_session_id, subscriber_id)
  WHERE state IN ('awaiting_code', 'open');
CREATE INDEX customer_sessions_number ON customer_sessions (msisdn, created_at DESC);

-- Every failed authentication (a wrong code, a document that does not match), by agent and number.
CREATE TABLE customer_auth_failures (
  id                  uuid PRIMARY KEY,
  staff_id            uuid NOT NULL REFERENCES staff (id),
  msisdn              text NOT NULL,
  subscriber_id       uuid REFERENCES subscribers (id),
  customer_session_id uuid REFERENCES customer_sessions (id),
  method              text NOT NULL CHECK (method IN ('sms_code', 'id_document')),
  reason              text NOT NULL,
  failed_at           timestamptz NOT NULL
);
CREATE INDEX customer_auth_failures_agent_number ON customer_auth_failures (staff_id, msisdn, failed_at DESC);

-- An agent locked out of one number: until `locked_until`, or until a supervisor of another shop or a compliance
-- officer releases it. Only the release columns ever change.
CREATE TABLE customer_auth_locks (
  id             uuid PRIMARY KEY,
  staff_id       uuid NOT NULL REFERENCES staff (id),
  msisdn         text NOT NULL,
  failures       integer NOT NULL CHECK (failures > 0),
  locked_at      timestamptz NOT NULL,
  locked_until   timestamptz NOT NULL CHECK (locked_until > locked_at),
  released_at    timestamptz,
  released_by    uuid REFERENCES staff (id),
  release_reason text,
  CONSTRAINT customer_lock_release_complete CHECK ((released_at IS NULL) = (released_by IS NULL)
                                                   AND (released_at IS NULL) = (release_reason IS NULL)),
  CONSTRAINT customer_lock_not_self_released CHECK (released_by IS NULL OR released_by <> staff_id)
);
CREATE INDEX customer_auth_locks_agent_number ON customer_auth_locks (staff_id, msisdn, locked_at DESC);

-- States only move forward; a settled challenge never becomes usable again; attempts only grow.
CREATE FUNCTION customer_session_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> OLD.state AND NOT (
       (OLD.state = 'awaiting_code' AND NEW.state IN ('open', 'failed', 'expired', 'closed'))
    OR (OLD.state = 'open' AND NEW.state = 'closed')) THEN
    RAISE EXCEPTION 'customer session % may not go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'NG003';
  END IF;
  IF NEW.code_attempts < OLD.code_attempts
     OR (OLD.code_hash IS NULL AND NEW.code_hash IS NOT NULL)
     OR (OLD.opened_at IS NOT NULL AND NEW.opened_at IS DISTINCT FROM OLD.opened_at)
     OR (OLD.expires_at IS NOT NULL AND NEW.expires_at > OLD.expires_at) THEN
    RAISE EXCEPTION 'customer session % may not be rewritten', OLD.id USING ERRCODE = 'NG006';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER customer_session_forward_only BEFORE UPDATE ON customer_sessions
  FOR EACH ROW EXECUTE FUNCTION customer_session_forward_only();

-- Invariant 10's last guard: no session opens for an agent locked out of that number, even by raw SQL.
CREATE FUNCTION customer_session_not_locked() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE at timestamptz := COALESCE(NEW.opened_at, NEW.created_at);
BEGIN
  IF NEW.state IN ('awaiting_code', 'open') AND (TG_OP = 'INSERT' OR OLD.state <> NEW.state) AND EXISTS (
       SELECT 1 FROM customer_auth_locks l
        WHERE l.staff_id = NEW.staff_id AND l.msisdn = NEW.msisdn
          AND l.locked_at <= at AND l.locked_until > at
          AND (l.released_at IS NULL OR l.released_at > at)) THEN
    RAISE EXCEPTION 'staff % is locked out of customer authentication on %', NEW.staff_id, NEW.msisdn
      USING ERRCODE = 'NG006';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER customer_session_not_locked BEFORE INSERT OR UPDATE ON customer_sessions
  FOR EACH ROW EXECUTE FUNCTION customer_session_not_locked();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['customer_sessions', 'customer_auth_failures', 'customer_auth_locks'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_audit_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
    EXECUTE format('CREATE TRIGGER %1$s_audit_upd AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
  END LOOP;
END $$;

-- ── Grants: no DELETE; UPDATE only of the columns that move ──
GRANT SELECT, INSERT ON customer_sessions, customer_auth_failures, customer_auth_locks TO numguard_app;
GRANT UPDATE (state, code_salt, code_hash, code_attempts, expires_at, opened_at, closed_at, close_reason)
  ON customer_sessions TO numguard_app;
GRANT UPDATE (released_at, released_by, release_reason) ON customer_auth_locks TO numguard_app;
