-- SMS notices and their evidence (issue 3): what numguard owes a holder by SMS, each part submitted to the SMSC,
-- every delivery receipt received, and every MO message. Sending is at most once: a part row is committed
-- `submitting` before its bytes go out, may never return to `submitting`, and at most one live row exists per
-- part (the partial unique index below), so no sender, however many run, can submit a part twice.
--
-- Notice states (forward only, checked by sms_notice_forward_only):
--   queued      owed, not yet sent; due at not_before (the send window), claimable by a sender
--   submitting  claimed by a sender (claimed_by, lease claimed_until); its parts are going out one by one
--   submitted   every part has the SMSC's message id; waiting for delivery receipts
--   evidenced   every part has a final receipt (DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED): the evidence a
--               withdrawal rests on. Final means "the SMSC will say nothing more", not "delivered".
--   failed      the SMSC refused a part (or refused it too often): not evidence; an alert was raised
--   unknown     a part may or may not have gone out (submit timeout, or a sender that died between committing
--               `submitting` and recording the answer): never resent, never evidence; an alert was raised
--   cancelled   withdrawn before anything was sent (expired one-time code, cancelled request)
-- submitting → queued happens only when no byte of the missing parts can have left: the SMSC refused the part
-- (not bound, throttled) or the sender's lease ran out before it committed the next part as submitting.

CREATE TABLE sms_notices (
  id                  uuid PRIMARY KEY,
  -- The number the notice is about; to_address is where it goes (the number itself, or the alternate contact).
  msisdn              text NOT NULL,
  to_address          text NOT NULL CHECK (to_address ~ '^\+?[0-9]{3,20}$'),
  purpose             text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,63}$'),
  dedupe_key          text NOT NULL UNIQUE CHECK (length(dedupe_key) BETWEEN 1 AND 200),
  custody_id          uuid REFERENCES custodies (id),
  language            text NOT NULL CHECK (language IN ('km', 'en')),
  template            text NOT NULL,
  -- Template parameters without the secret ones; secrets (one-time codes) are sealed with AES-256-GCM under a key
  -- derived from NUMGUARD_KYC_KEY and wiped when the notice leaves queued/submitting: never stored in clear.
  params              jsonb NOT NULL,
  sealed_secrets      bytea,
  body_masked         text NOT NULL,
  priority            text NOT NULL CHECK (priority IN ('otp', 'bulk')),
  respect_send_window boolean NOT NULL,
  not_before          timestamptz NOT NULL,
  expires_at          timestamptz,
  state               text NOT NULL DEFAULT 'queued'
                        CHECK (state IN ('queued', 'submitting', 'submitted', 'evidenced', 'failed', 'unknown', 'cancelled')),
  state_reason        text,
  -- Fixed by the first part committed, so a resumed send encodes exactly the same parts.
  part_count          integer CHECK (part_count BETWEEN 1 AND 255),
  concat_ref          integer NOT NULL CHECK (concat_ref BETWEEN 0 AND 255),
  attempts            integer NOT NULL DEFAULT 0,
  claimed_by          text,
  claimed_until       timestamptz,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  submitted_at        timestamptz,
  -- When the last part got its final receipt (as numguard's clock saw it): the instant evidence is measured by.
  last_final_at       timestamptz,
  evidenced_at        timestamptz,
  receipt_alerted_at  timestamptz,
  CONSTRAINT evidenced_has_its_instants CHECK (state <> 'evidenced' OR (evidenced_at IS NOT NULL AND last_final_at IS NOT NULL)),
  CONSTRAINT secrets_only_while_sending CHECK (sealed_secrets IS NULL OR state IN ('queued', 'submitting'))
);
-- One index per lane: one-time codes are claimed before any bulk notice without sorting the bulk queue.
CREATE INDEX sms_notices_due_otp ON sms_notices (not_before) WHERE state = 'queued' AND priority = 'otp';
CREATE INDEX sms_notices_due_bulk ON sms_notices (not_before) WHERE state = 'queued' AND priority = 'bulk';
CREATE INDEX sms_notices_expiring ON sms_notices (expires_at) WHERE state = 'queued' AND expires_at IS NOT NULL;
CREATE INDEX sms_notices_claimed ON sms_notices (claimed_until) WHERE state = 'submitting';
CREATE INDEX sms_notices_awaiting_receipts ON sms_notices (submitted_at) WHERE state = 'submitted';
CREATE INDEX sms_notices_number ON sms_notices (msisdn, created_at);
CREATE INDEX sms_notices_recipient ON sms_notices (to_address, created_at);
CREATE INDEX sms_notices_custody ON sms_notices (custody_id) WHERE custody_id IS NOT NULL;

CREATE TABLE sms_notice_parts (
  id             uuid PRIMARY KEY,
  notice_id      uuid NOT NULL REFERENCES sms_notices (id),
  part_index     integer NOT NULL,
  part_count     integer NOT NULL,
  -- The notice's attempt that sent this row; a part refused by the SMSC is retried as a new row.
  attempt        integer NOT NULL,
  state          text NOT NULL CHECK (state IN ('submitting', 'submitted', 'final', 'submit_failed', 'unknown')),
  data_coding    smallint NOT NULL,
  submitting_at  timestamptz NOT NULL,
  message_id     text,
  -- message_id lower-cased without leading zeros: receipts are matched through it (hex or decimal, see queries).
  message_key    text,
  submitted_at   timestamptz,
  error          text,
  receipt_state  text,
  receipt_at     timestamptz,
  receipt_raw    text,
  CONSTRAINT part_index_in_count CHECK (part_index BETWEEN 1 AND part_count),
  CONSTRAINT sent_parts_have_an_id CHECK (state NOT IN ('submitted', 'final') OR message_id IS NOT NULL),
  CONSTRAINT final_parts_have_a_receipt CHECK (state <> 'final' OR receipt_at IS NOT NULL)
);
-- At most once: one live row per part of a notice; only a part the SMSC refused may be tried again.
CREATE UNIQUE INDEX sms_parts_at_most_once ON sms_notice_parts (notice_id, part_index) WHERE state <> 'submit_failed';
CREATE INDEX sms_parts_notice ON sms_notice_parts (notice_id);
CREATE INDEX sms_parts_message ON sms_notice_parts (message_key) WHERE message_key IS NOT NULL;
CREATE INDEX sms_parts_in_flight ON sms_notice_parts (submitting_at) WHERE state = 'submitting';

-- Every receipt the SMSC sent, matched or not: one may arrive before the submit response was recorded, and is
-- matched when it is. The raw text is stored without its `text:` field (the SMSC copies the body's first characters).
CREATE TABLE sms_receipts (
  id           uuid PRIMARY KEY,
  message_id   text NOT NULL,
  message_key  text NOT NULL,
  state        text NOT NULL,
  final        boolean NOT NULL,
  done_at      timestamptz,
  error        text,
  raw          text NOT NULL,
  received_at  timestamptz NOT NULL,
  part_id      uuid REFERENCES sms_notice_parts (id),
  matched_at   timestamptz
);
CREATE INDEX sms_receipts_unmatched ON sms_receipts (message_key) WHERE part_id IS NULL;
CREATE INDEX sms_receipts_part ON sms_receipts (part_id) WHERE part_id IS NOT NULL;

-- Every MO message, stored before it is routed (so none is lost if its handler fails), with codes masked.
CREATE TABLE sms_mo_messages (
  id               uuid PRIMARY KEY,
  from_msisdn      text NOT NULL,
  to_address       text NOT NULL,
  text_masked      text NOT NULL,
  received_at      timestamptz NOT NULL,
  keyword          text,
  routed_to        text,
  handled_at       timestamptz,
  outcome          text,
  reply_notice_id  uuid REFERENCES sms_notices (id)
);
CREATE INDEX sms_mo_from ON sms_mo_messages (from_msisdn, received_at);

-- ── The last guard: forward-only states, and no change without its audit record ──

CREATE FUNCTION sms_notice_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> OLD.state AND NOT (
       (OLD.state = 'queued' AND NEW.state IN ('submitting', 'cancelled'))
    OR (OLD.state = 'submitting' AND NEW.state IN ('queued', 'submitted', 'failed', 'unknown'))
    OR (OLD.state = 'submitted' AND NEW.state = 'evidenced')) THEN
    RAISE EXCEPTION 'sms notice % may not go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'NG003';
  END IF;
  IF NEW.id <> OLD.id OR NEW.dedupe_key <> OLD.dedupe_key OR NEW.to_address <> OLD.to_address
     OR NEW.body_masked <> OLD.body_masked OR NEW.created_at <> OLD.created_at
     OR (OLD.part_count IS NOT NULL AND NEW.part_count IS DISTINCT FROM OLD.part_count) THEN
    RAISE EXCEPTION 'sms notice % may not be rewritten', OLD.id USING ERRCODE = 'NG006';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER sms_notice_forward_only BEFORE UPDATE ON sms_notices
  FOR EACH ROW EXECUTE FUNCTION sms_notice_forward_only();

-- A part never goes back to `submitting` (that would let it be sent twice) and its message id, once known, stays.
CREATE FUNCTION sms_part_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> OLD.state AND NOT (
       (OLD.state = 'submitting' AND NEW.state IN ('submitted', 'submit_failed', 'unknown'))
    OR (OLD.state = 'submitted' AND NEW.state = 'final')) THEN
    RAISE EXCEPTION 'sms part % may not go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'NG003';
  END IF;
  IF NEW.notice_id <> OLD.notice_id OR NEW.part_index <> OLD.part_index OR NEW.attempt <> OLD.attempt
     OR (OLD.message_id IS NOT NULL AND NEW.message_id IS DISTINCT FROM OLD.message_id) THEN
    RAISE EXCEPTION 'sms part % may not be rewritten', OLD.id USING ERRCODE = 'NG006';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER sms_part_forward_only BEFORE UPDATE ON sms_notice_parts
  FOR EACH ROW EXECUTE FUNCTION sms_part_forward_only();

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sms_notices', 'sms_notice_parts', 'sms_receipts', 'sms_mo_messages'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_audit_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
    EXECUTE format('CREATE TRIGGER %1$s_audit_upd AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
  END LOOP;
END $$;

-- ── Grants: no DELETE; UPDATE only of the columns that move ──

GRANT SELECT, INSERT ON sms_notices, sms_notice_parts, sms_receipts, sms_mo_messages TO numguard_app;
GRANT UPDATE (state, state_reason, sealed_secrets, part_count, attempts, claimed_by, claimed_until, not_before,
              updated_at, submitted_at, last_final_at, evidenced_at, receipt_alerted_at) ON sms_notices TO numguard_app;
GRANT UPDATE (state, message_id, message_key, submitted_at, error, receipt_state, receipt_at, receipt_raw)
  ON sms_notice_parts TO numguard_app;
GRANT UPDATE (part_id, matched_at) ON sms_receipts TO numguard_app;
GRANT UPDATE (keyword, routed_to, handled_at, outcome, reply_notice_id) ON sms_mo_messages TO numguard_app;
