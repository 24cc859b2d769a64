-- Request integrity (issue 10, item 3): what an approver signs, what a holder's SMS consent rests on, and when personal
-- data may be erased are checked by the database itself, against raw SQL as the application role. Written for
-- PostgreSQL 15. Refusals carry SQLSTATE NG038.

-- ── RFC 8785 (JCS) canonical JSON, exactly as the `canonicalize` package writes it ──
-- 020's audit_canonical_json orders keys by code point and prints numbers as jsonb does (1.0, 1000000000000000000000),
-- which is not JCS; leaves keep using it (their hashes are already in the tree). This one is used for request payloads.

-- A key's place in JCS order: its UTF-16 code units, each as four hex digits, so that a plain "C" comparison of two
-- keys compares their code units (an astral character's surrogates, D800–DFFF, sort before U+E000–U+FFFF).
CREATE FUNCTION jcs_key_order(k text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT COALESCE(string_agg(CASE WHEN cp < 65536 THEN lpad(to_hex(cp), 4, '0')
                                  ELSE to_hex(55296 + ((cp - 65536) >> 10)) || to_hex(56320 + ((cp - 65536) & 1023))
                             END, '' ORDER BY i), '')
    FROM (SELECT ascii(c) AS cp, i FROM regexp_split_to_table(k, '') WITH ORDINALITY AS s(c, i)) AS chars
$$;

-- A JSON number as ECMAScript's Number.prototype.toString prints it (JCS section 3.2.2.3): the value is first read
-- as the nearest double (as JSON.parse does), whose shortest round-trip digits PostgreSQL prints when
-- extra_float_digits > 0; those digits are then laid out the ECMAScript way. A number beyond a double is refused.
CREATE FUNCTION jcs_number(n numeric) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET extra_float_digits = 1 AS $$
DECLARE
  f double precision;
  t text;
  neg boolean;
  mant text;
  e integer := 0;
  digits text;
  frac integer;
  k integer;
  p integer;  -- ECMAScript's n: the value is 0.digits × 10^p
  out text;
BEGIN
  BEGIN
    f := n::double precision;
  EXCEPTION WHEN numeric_value_out_of_range THEN
    RAISE EXCEPTION 'the JSON number % is beyond a double: a request payload may not hold it', n USING ERRCODE = 'NG038';
  END;
  IF f = 0 THEN RETURN '0'; END IF;
  t := f::text;
  neg := left(t, 1) = '-';
  IF neg THEN t := substr(t, 2); END IF;
  IF position('e' IN t) > 0 THEN
    mant := split_part(t, 'e', 1);
    e := split_part(t, 'e', 2)::integer;
  ELSE
    mant := t;
  END IF;
  frac := CASE WHEN position('.' IN mant) > 0 THEN length(mant) - position('.' IN mant) ELSE 0 END;
  digits := replace(mant, '.', '');
  -- value = digits × 10^(e − frac); drop the zeros that carry no digit.
  digits := ltrim(digits, '0');
  e := e - frac + (length(digits) - length(rtrim(digits, '0')));
  digits := rtrim(digits, '0');
  k := length(digits);
  p := e + k;
  IF k <= p AND p <= 21 THEN
    out := digits || repeat('0', p - k);
  ELSIF 0 < p AND p <= 21 THEN
    out := left(digits, p) || '.' || substr(digits, p + 1);
  ELSIF -6 < p AND p <= 0 THEN
    out := '0.' || repeat('0', -p) || digits;
  ELSE
    out := left(digits, 1) || CASE WHEN k > 1 THEN '.' || substr(digits, 2) ELSE '' END
           || 'e' || CASE WHEN p - 1 >= 0 THEN '+' ELSE '-' END || abs(p - 1)::text;
  END IF;
  RETURN CASE WHEN neg THEN '-' || out ELSE out END;
END $$;

-- The canonical text: keys in UTF-16 order, no whitespace, strings escaped as JSON.stringify does (PostgreSQL's JSON
-- output escapes exactly ", \, \b \f \n \r \t and other controls as \u00xx, and writes every other character as is).
CREATE FUNCTION jcs_canonical_json(j jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path FROM CURRENT AS $$
DECLARE out text;
BEGIN
  CASE jsonb_typeof(j)
    WHEN 'object' THEN
      SELECT '{' || COALESCE(string_agg(to_json(e.k)::text || ':' || jcs_canonical_json(e.v), ','
                                        ORDER BY jcs_key_order(e.k) COLLATE "C"), '') || '}'
        INTO out FROM jsonb_each(j) AS e(k, v);
    WHEN 'array' THEN
      SELECT '[' || COALESCE(string_agg(jcs_canonical_json(a.v), ',' ORDER BY a.o), '') || ']'
        INTO out FROM jsonb_array_elements(j) WITH ORDINALITY AS a(v, o);
    WHEN 'string' THEN out := to_json(j #>> '{}')::text;
    WHEN 'number' THEN out := jcs_number((j #>> '{}')::numeric);
    ELSE out := j::text;
  END CASE;
  RETURN out;
END $$;

-- The hex SHA-256 an approver signs (src/requests/payload.ts computes the same in the application).
CREATE FUNCTION request_payload_sha256(payload jsonb) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path FROM CURRENT AS $$
  SELECT encode(sha256(convert_to(jcs_canonical_json(payload), 'UTF8')), 'hex')
$$;
GRANT EXECUTE ON FUNCTION jcs_key_order(text), jcs_number(numeric), jcs_canonical_json(jsonb),
  request_payload_sha256(jsonb) TO numguard_app;

-- ── A request's hash is its payload's; an approval (or rejection) signs the request's hash, no other ──
-- Named to fire after 005's request_rules (triggers fire in name order), so its refusals keep their NG007.
CREATE FUNCTION request_payload_hash_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF NEW.payload_sha256 IS DISTINCT FROM request_payload_sha256(NEW.payload) THEN
    RAISE EXCEPTION 'request %: payload_sha256 is not the SHA-256 of its canonical (RFC 8785) payload', NEW.id
      USING ERRCODE = 'NG038';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER requests_payload_hash_rule BEFORE INSERT OR UPDATE OF payload, payload_sha256 ON requests
  FOR EACH ROW EXECUTE FUNCTION request_payload_hash_rule();

CREATE FUNCTION approval_payload_hash_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = NEW.request_id AND r.payload_sha256 = NEW.payload_sha256) THEN
    RAISE EXCEPTION 'an approval of request % signs a hash that is not its payload''s', NEW.request_id
      USING ERRCODE = 'NG038';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER request_approvals_payload_hash_rule BEFORE INSERT OR UPDATE OF payload_sha256, request_id
  ON request_approvals FOR EACH ROW EXECUTE FUNCTION approval_payload_hash_rule();

-- ── A holder's code consent rests on a stored MO from the number, received after its code went out ──
-- 013 checks the evidence's `from`; this checks what it points at: the MO exists and came from the request's number
-- (SMSCs may drop the +), the code is this request's, for this number and party, matched (used), and the MO was
-- received between the code's creation (and its notice's submission, once submitted) and its expiry.
CREATE FUNCTION request_consent_mo_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE r requests;
BEGIN
  IF NEW.method <> 'mo_code' THEN RETURN NEW; END IF;
  SELECT * INTO r FROM requests WHERE id = NEW.request_id;
  IF NOT EXISTS (
       SELECT 1
         FROM sms_mo_messages m
         JOIN consent_codes c ON c.id = audit_uuid_or_null(NEW.evidence ->> 'code_id')
         LEFT JOIN sms_notices n ON n.id = c.notice_id
        WHERE m.id = audit_uuid_or_null(NEW.evidence ->> 'mo_id')
          AND r.msisdn IN (m.from_msisdn, '+' || m.from_msisdn)
          AND c.request_id = NEW.request_id AND c.msisdn = r.msisdn AND c.party = NEW.party AND c.state = 'used'
          AND m.received_at >= c.created_at AND m.received_at <= c.expires_at
          AND (n.submitted_at IS NULL OR m.received_at >= n.submitted_at)) THEN
    RAISE EXCEPTION 'a code consent for request % must point at a stored SMS reply from % received after its code was sent',
      NEW.request_id, r.msisdn USING ERRCODE = 'NG038';
  END IF;
  RETURN NEW;
END $$;
-- Fires after 013's request_consent_rules (name order), which refuses changes and closed requests first.
CREATE TRIGGER request_consents_mo_rule BEFORE INSERT ON request_consents
  FOR EACH ROW EXECUTE FUNCTION request_consent_mo_rule();

-- ── Personal data is erased only after its retention ──
-- The retention the database holds to (the owner's figure; the application's NUMGUARD_PERSONAL_RETENTION_DAYS may be
-- longer, never shorter). Read-only to the application role.
CREATE TABLE personal_data_retention (
  id   boolean PRIMARY KEY DEFAULT true CHECK (id),
  days integer NOT NULL CHECK (days >= 1)
);
INSERT INTO personal_data_retention (days) VALUES (1825);
GRANT SELECT ON personal_data_retention TO numguard_app;

-- 020's function with the check added (same signature and grants). "Now" is the log's own clock, the time of its
-- latest record (the application's clock, injected and never going backwards), not the database's wall clock: tests
-- and the demo move time on purpose. A forged future record to get past it stays in the log for ever.
CREATE OR REPLACE FUNCTION audit_erase_personal_data(before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE n bigint; retention integer; log_now timestamptz;
BEGIN
  SELECT days INTO retention FROM personal_data_retention;
  SELECT greatest((SELECT at FROM audit_leaves ORDER BY index DESC LIMIT 1), (SELECT max(recorded_at) FROM audit_queue))
    INTO log_now;
  IF before IS NULL OR log_now IS NULL OR before > log_now - make_interval(days => retention) THEN
    RAISE EXCEPTION 'personal data is kept % days: nothing recorded after % may be erased yet', retention,
      log_now - make_interval(days => retention) USING ERRCODE = 'NG038';
  END IF;
  PERFORM note_guarded_transaction();
  PERFORM set_config('numguard.audit_writer', txid_current()::text, true);
  DELETE FROM audit_personal_data WHERE recorded_at < before;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
