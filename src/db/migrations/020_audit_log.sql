-- The tamper-evident audit log (issue 5): queued records become leaves of an RFC 6962 Merkle tree with stored
-- complete subtrees, signed checkpoints and witness cosignatures. Written for PostgreSQL 15.
--
-- Who may do what: the application role (numguard_app) only INSERTs into the queue (and appends checkpoints,
-- cosignatures and erasable personal data, which the database checks); it reads the log through SELECT grants and
-- the audit_records view. Integration runs inside audit_integrate(), a SECURITY DEFINER function owned by the schema
-- owner that assigns indexes and computes every tree hash in SQL itself, so the application cannot store a hash it
-- made up. Triggers refuse UPDATE, DELETE and TRUNCATE on every audit table for everyone, except the two deletions
-- the log itself makes in its own functions: integrated queue rows, and personal data erased after its retention.

-- ── Canonical JSON (RFC 8785) in SQL, only for records written by raw SQL without leaf bytes ──
-- The application always sends the exact bytes (src/audit/leaf.ts). Keys sort by code point (UTF-16 order for every
-- key numguard writes); numbers print as PostgreSQL's numeric does, which equals JavaScript's for the integers and
-- short decimals an envelope holds.
CREATE FUNCTION audit_canonical_json(j jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path FROM CURRENT AS $$
DECLARE out text;
BEGIN
  CASE jsonb_typeof(j)
    WHEN 'object' THEN
      SELECT '{' || COALESCE(string_agg(to_json(e.k)::text || ':' || audit_canonical_json(e.v), ',' ORDER BY e.k COLLATE "C"), '') || '}'
        INTO out FROM jsonb_each(j) AS e(k, v);
    WHEN 'array' THEN
      SELECT '[' || COALESCE(string_agg(audit_canonical_json(a.v), ',' ORDER BY a.o), '') || ']'
        INTO out FROM jsonb_array_elements(j) WITH ORDINALITY AS a(v, o);
    WHEN 'string' THEN out := to_json(j #>> '{}')::text;
    ELSE out := j::text;
  END CASE;
  RETURN out;
END $$;

-- A uuid from a leaf's text, or NULL when it is not one (a malformed value must never stop integration).
CREATE FUNCTION audit_uuid_or_null(t text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN t ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN t::uuid END
$$;

-- ── The queue: what recordAudit writes in the command's transaction ──
-- The foundation's audit_records table becomes the queue; audit_records is now a view over leaves and queue, so
-- every reader (and raw-SQL writer) keeps working. Existing records get their leaf bytes here.
ALTER TABLE audit_records RENAME TO audit_queue;
DROP INDEX audit_records_basis;
DROP INDEX audit_records_number;
ALTER TABLE audit_queue
  ADD COLUMN leaf bytea,
  ADD COLUMN basis text,
  ADD COLUMN staff_id uuid,
  ADD COLUMN session_id uuid,
  ADD COLUMN request_id uuid;
ALTER TABLE audit_queue DISABLE TRIGGER audit_records_no_update;
UPDATE audit_queue SET
  leaf = convert_to(audit_canonical_json((envelope - 'v') || jsonb_build_object('v', 'numguard-leaf/1', 'event_id', event_id)), 'UTF8'),
  basis = envelope ->> 'basis',
  staff_id = audit_uuid_or_null(envelope -> 'actor' ->> 'staff_id'),
  session_id = audit_uuid_or_null(envelope -> 'actor' ->> 'session_id'),
  request_id = audit_uuid_or_null(COALESCE(envelope -> 'data' ->> 'request_id', envelope -> 'after' ->> 'request_id'));
ALTER TABLE audit_queue ENABLE TRIGGER audit_records_no_update;
ALTER TABLE audit_queue DROP COLUMN envelope, ALTER COLUMN leaf SET NOT NULL;

-- Stamps the writer's transaction (002) and reads the leaf once: it must be a numguard leaf of this event; the
-- columns a timeline searches by are taken from the leaf itself, never from what the writer claims beside it.
CREATE OR REPLACE FUNCTION audit_records_stamp() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE doc jsonb;
BEGIN
  NEW.txid := txid_current();  -- the writer cannot claim another transaction's record
  BEGIN
    doc := convert_from(NEW.leaf, 'UTF8')::jsonb;
  EXCEPTION WHEN OTHERS THEN
    RAISE EXCEPTION 'an audit leaf must be UTF-8 JSON (%)', SQLERRM USING ERRCODE = 'NG009';
  END;
  IF jsonb_typeof(doc) <> 'object' OR doc ->> 'v' IS DISTINCT FROM 'numguard-leaf/1'
     OR doc ->> 'event_id' IS DISTINCT FROM NEW.event_id::text THEN
    RAISE EXCEPTION 'an audit leaf must be a numguard-leaf/1 object naming its own event_id' USING ERRCODE = 'NG009';
  END IF;
  NEW.action := COALESCE(doc ->> 'action', NEW.action);
  NEW.msisdn := doc ->> 'msisdn';
  NEW.basis := doc ->> 'basis';
  NEW.staff_id := audit_uuid_or_null(doc -> 'actor' ->> 'staff_id');
  NEW.session_id := audit_uuid_or_null(doc -> 'actor' ->> 'session_id');
  NEW.request_id := audit_uuid_or_null(COALESCE(doc -> 'data' ->> 'request_id', doc -> 'after' ->> 'request_id'));
  RETURN NEW;
END $$;

-- ── The log ──

CREATE TABLE audit_log_state (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  size       bigint NOT NULL CHECK (size >= 0),
  root       bytea NOT NULL,
  updated_at timestamptz NOT NULL
);
INSERT INTO audit_log_state VALUES (true, 0, sha256(''::bytea), now());

CREATE TABLE audit_leaves (
  index         bigint PRIMARY KEY CHECK (index >= 0),
  event_id      uuid NOT NULL UNIQUE,
  seq           bigint NOT NULL UNIQUE,  -- the queue's order, kept for readers that sort by it
  txid          bigint NOT NULL,
  at            timestamptz NOT NULL,
  action        text NOT NULL,
  msisdn        text,
  basis         text,
  staff_id      uuid,
  session_id    uuid,
  request_id    uuid,
  leaf          bytea NOT NULL,
  leaf_hash     bytea NOT NULL CHECK (length(leaf_hash) = 32),
  integrated_at timestamptz NOT NULL
);
CREATE INDEX audit_leaves_number ON audit_leaves (msisdn, index) WHERE msisdn IS NOT NULL;
CREATE INDEX audit_leaves_staff ON audit_leaves (staff_id, index) WHERE staff_id IS NOT NULL;
CREATE INDEX audit_leaves_session ON audit_leaves (session_id, index) WHERE session_id IS NOT NULL;
CREATE INDEX audit_leaves_request ON audit_leaves (request_id, index) WHERE request_id IS NOT NULL;
-- Whole-set records (a range import, a migration batch) name no number; a number's history finds them by basis.
CREATE INDEX audit_leaves_basis ON audit_leaves (basis) WHERE msisdn IS NULL AND basis IS NOT NULL;

-- Hashes of COMPLETE subtrees only: (level, index) covers leaves [index·2^level, (index+1)·2^level). Level 0 holds
-- the leaf hashes. Proofs and roots at any size read O(log n) of these.
CREATE TABLE audit_tree_nodes (
  level smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
  index bigint NOT NULL CHECK (index >= 0),
  hash  bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (level, index)
);

-- Exactly one root per size.
CREATE TABLE audit_tree_heads (
  size          bigint PRIMARY KEY CHECK (size >= 0),
  root          bytea NOT NULL CHECK (length(root) = 32),
  integrated_at timestamptz NOT NULL
);
INSERT INTO audit_tree_heads VALUES (0, sha256(''::bytea), now());

-- Signed checkpoints (C2SP signed note of a tlog-checkpoint body), one per size, and witnesses' cosignatures.
CREATE TABLE audit_checkpoints (
  size      bigint PRIMARY KEY REFERENCES audit_tree_heads (size),
  note      text NOT NULL,
  signed_at timestamptz NOT NULL
);
CREATE TABLE audit_cosignatures (
  size        bigint NOT NULL REFERENCES audit_checkpoints (size),
  witness     text NOT NULL,
  key_id      text NOT NULL,
  cosigned_at timestamptz NOT NULL,
  line        text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (size, key_id, cosigned_at)
);

-- Personal data committed by a leaf: the leaf holds hex SHA-256(salt ‖ value) only; salt and value live here until
-- erased after their retention (then the commitment proves nothing more, and the tree is untouched).
CREATE TABLE audit_personal_data (
  event_id    uuid NOT NULL,
  field       text NOT NULL,
  salt        bytea NOT NULL CHECK (length(salt) >= 16),
  value       text NOT NULL,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (event_id, field)
);
CREATE INDEX audit_personal_data_age ON audit_personal_data (recorded_at);

-- Where each configured witness stands: operational state of the submitter, not part of the log.
CREATE TABLE log_witnesses (
  url             text PRIMARY KEY,
  name            text NOT NULL,
  key_id          text NOT NULL,
  accepted_size   bigint,
  failing_since   timestamptz,
  last_error      text,
  next_attempt_at timestamptz,
  updated_at      timestamptz NOT NULL
);

-- ── Append-only, for everyone ──
-- The log's own functions mark their transaction (numguard.audit_writer = txid) to delete what they own; the grants
-- below are what stop the application role, these triggers stop the owner's mistakes and a raw session alike.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('audit_queue', 'audit_personal_data')
     AND current_setting('numguard.audit_writer', true) = txid_current()::text THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_log_state'
     AND current_setting('numguard.audit_writer', true) = txid_current()::text THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'NG002';
END $$;

DROP TRIGGER audit_records_no_update ON audit_queue;
DROP TRIGGER audit_records_no_truncate ON audit_queue;
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['audit_queue', 'audit_log_state', 'audit_leaves', 'audit_tree_nodes', 'audit_tree_heads',
                           'audit_checkpoints', 'audit_cosignatures', 'audit_personal_data'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_append_only BEFORE UPDATE OR DELETE ON %1$I
                    FOR EACH ROW EXECUTE FUNCTION audit_append_only()', t);
    EXECUTE format('CREATE TRIGGER %1$s_no_truncate BEFORE TRUNCATE ON %1$I
                    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()', t);
  END LOOP;
END $$;

-- Invariant 6's commit check reads the queue itself (the record of a transaction still running is always queued).
CREATE OR REPLACE FUNCTION check_audit_written() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_queue WHERE txid = NEW.txid) THEN
    RAISE EXCEPTION 'a change to custody, SIM bindings, number states, requests or staff needs its audit record in the same transaction'
      USING ERRCODE = 'NG001';
  END IF;
  DELETE FROM audit_tx_guard WHERE txid = NEW.txid;
  RETURN NULL;
END $$;

-- A checkpoint names a size the tree has, with that size's root on its third line (C2SP tlog-checkpoint).
CREATE FUNCTION audit_checkpoint_matches_head() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_tree_heads h WHERE h.size = NEW.size
                    AND split_part(NEW.note, E'\n', 2) = NEW.size::text
                    AND split_part(NEW.note, E'\n', 3) = encode(h.root, 'base64')) THEN
    RAISE EXCEPTION 'checkpoint of size % does not carry the root the tree has at that size', NEW.size USING ERRCODE = 'NG009';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_checkpoint_matches_head BEFORE INSERT ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_matches_head();

-- ── The tree in SQL ──

-- The root at `n` leaves: the complete subtrees of n's binary decomposition, folded from the right (RFC 6962 MTH).
CREATE FUNCTION audit_root_at(n bigint) RETURNS bytea LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  levels smallint[] := '{}';
  idx bigint[] := '{}';
  hashes bytea[];
  start bigint := 0;
  r bytea;
BEGIN
  IF n IS NULL OR n < 0 THEN RAISE EXCEPTION 'tree size must be 0 or more' USING ERRCODE = '22023'; END IF;
  IF n = 0 THEN RETURN sha256(''::bytea); END IF;
  FOR lvl IN REVERSE 62..0 LOOP
    IF (n >> lvl) & 1 = 1 THEN
      levels := levels || lvl::smallint;
      idx := idx || (start >> lvl);
      start := start + (1::bigint << lvl);
    END IF;
  END LOOP;
  SELECT array_agg(t.hash ORDER BY c.o) INTO hashes
    FROM unnest(levels, idx) WITH ORDINALITY AS c(level, index, o)
    JOIN audit_tree_nodes t ON t.level = c.level AND t.index = c.index;
  IF coalesce(array_length(hashes, 1), 0) <> array_length(levels, 1) THEN
    RAISE EXCEPTION 'the stored tree lacks a subtree of size %', n USING ERRCODE = 'NG009';
  END IF;
  r := hashes[array_length(hashes, 1)];
  FOR i IN REVERSE array_length(hashes, 1) - 1 .. 1 LOOP
    r := sha256('\x01'::bytea || hashes[i] || r);
  END LOOP;
  RETURN r;
END $$;

-- Integrates up to max_leaves queued records, in queue order, in the caller's transaction: gap-free indexes from
-- the current size, the new complete subtrees level by level, the new head. One integrator at a time: the state row
-- is locked FOR UPDATE until the transaction ends, and each statement after the lock sees what the previous
-- integrator committed (READ COMMITTED). The queue rows are deleted in the same statement that makes them leaves,
-- so a crash anywhere loses or duplicates nothing.
CREATE FUNCTION audit_integrate(max_leaves integer)
RETURNS TABLE (old_size bigint, new_size bigint, root bytea)
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  cur bigint;
  nxt bigint;
  added bigint;
  got bigint;
  lvl integer := 1;
  r bytea;
BEGIN
  IF max_leaves IS NULL OR max_leaves < 1 OR max_leaves > 1000000 THEN
    RAISE EXCEPTION 'max_leaves must be between 1 and 1000000' USING ERRCODE = '22023';
  END IF;
  SELECT s.size, s.root INTO cur, r FROM audit_log_state s WHERE s.id FOR UPDATE;
  PERFORM set_config('numguard.audit_writer', txid_current()::text, true);
  WITH batch AS (
    DELETE FROM audit_queue q
     WHERE q.seq IN (SELECT b.seq FROM audit_queue b ORDER BY b.seq LIMIT max_leaves)
    RETURNING q.*
  ), leaves AS (
    INSERT INTO audit_leaves (index, event_id, seq, txid, at, action, msisdn, basis, staff_id, session_id, request_id,
                              leaf, leaf_hash, integrated_at)
    SELECT cur + row_number() OVER (ORDER BY b.seq) - 1, b.event_id, b.seq, b.txid, b.recorded_at, b.action, b.msisdn,
           b.basis, b.staff_id, b.session_id, b.request_id, b.leaf, sha256('\x00'::bytea || b.leaf), clock_timestamp()
      FROM batch b
    RETURNING audit_leaves.index, audit_leaves.leaf_hash
  )
  INSERT INTO audit_tree_nodes (level, index, hash) SELECT 0, l.index, l.leaf_hash FROM leaves l;
  GET DIAGNOSTICS added = ROW_COUNT;
  IF added = 0 THEN
    RETURN QUERY SELECT cur, cur, r;
    RETURN;
  END IF;
  nxt := cur + added;
  -- New complete nodes at level L: indexes [cur >> L, nxt >> L); none at L means none above.
  WHILE (nxt >> lvl) > (cur >> lvl) LOOP
    INSERT INTO audit_tree_nodes (level, index, hash)
    SELECT lvl, i, sha256('\x01'::bytea || l.hash || rt.hash)
      FROM generate_series(cur >> lvl, (nxt >> lvl) - 1) AS i
      JOIN audit_tree_nodes l ON l.level = lvl - 1 AND l.index = 2 * i
      JOIN audit_tree_nodes rt ON rt.level = lvl - 1 AND rt.index = 2 * i + 1;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got <> (nxt >> lvl) - (cur >> lvl) THEN
      RAISE EXCEPTION 'the stored tree lacks nodes at level % below size %', lvl - 1, nxt USING ERRCODE = 'NG009';
    END IF;
    lvl := lvl + 1;
  END LOOP;
  r := audit_root_at(nxt);
  INSERT INTO audit_tree_heads (size, root, integrated_at) VALUES (nxt, r, clock_timestamp());
  UPDATE audit_log_state SET size = nxt, root = r, updated_at = clock_timestamp() WHERE id;
  RETURN QUERY SELECT cur, nxt, r;
END $$;

-- Erases the salts and values of personal data recorded before `before`; the leaves keep their commitments. Like
-- every guarded change (invariant 6), the transaction commits only with an audit record of its own.
CREATE FUNCTION audit_erase_personal_data(before timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE n bigint;
BEGIN
  PERFORM note_guarded_transaction();
  PERFORM set_config('numguard.audit_writer', txid_current()::text, true);
  DELETE FROM audit_personal_data WHERE recorded_at < before;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- How much waits for integration, and since when (the application may not read the queue itself).
CREATE FUNCTION audit_queue_status() RETURNS TABLE (queued bigint, oldest timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT count(*), min(recorded_at) FROM audit_queue
$$;

-- ── The foundation's name for reading the log: leaves, then what is still queued ──
CREATE VIEW audit_records AS
  SELECT l.seq, l.event_id, l.txid, l.at AS recorded_at, l.action, l.msisdn, l.basis,
         convert_from(l.leaf, 'UTF8')::jsonb AS envelope, l.index AS leaf_index
    FROM audit_leaves l
  UNION ALL
  SELECT q.seq, q.event_id, q.txid, q.recorded_at, q.action, q.msisdn, q.basis,
         convert_from(q.leaf, 'UTF8')::jsonb, NULL::bigint
    FROM audit_queue q;

-- A raw-SQL record (tests, tools) written the foundation's way: its leaf is built from the envelope and columns.
CREATE FUNCTION audit_records_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE doc jsonb;
BEGIN
  doc := jsonb_strip_nulls(jsonb_build_object(
           'at', to_char(NEW.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'action', NEW.action))
         || jsonb_build_object('msisdn', NEW.msisdn)
         || (COALESCE(NEW.envelope, '{}'::jsonb) - 'v')
         || jsonb_build_object('v', 'numguard-leaf/1', 'event_id', NEW.event_id);
  INSERT INTO audit_queue (event_id, txid, recorded_at, action, msisdn, leaf)
  VALUES (NEW.event_id, 0, NEW.recorded_at, NEW.action, NEW.msisdn, convert_to(audit_canonical_json(doc), 'UTF8'))
  RETURNING seq, txid, action, msisdn, basis INTO NEW.seq, NEW.txid, NEW.action, NEW.msisdn, NEW.basis;
  NEW.envelope := doc;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_records_insert INSTEAD OF INSERT ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_records_insert();
-- With these the view is writable in form, so an UPDATE or DELETE meets the missing grant (42501) first.
CREATE FUNCTION audit_records_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only' USING ERRCODE = 'NG002';
END $$;
CREATE TRIGGER audit_records_refuse INSTEAD OF UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_records_refuse();

-- ── Grants ──
REVOKE ALL ON audit_queue FROM numguard_app;
GRANT INSERT ON audit_queue TO numguard_app;
GRANT SELECT, INSERT ON audit_records TO numguard_app;
GRANT SELECT ON audit_log_state, audit_leaves, audit_tree_nodes, audit_tree_heads TO numguard_app;
-- The signer and the witness submitter run in the application; the database checks what they append.
GRANT SELECT, INSERT ON audit_checkpoints, audit_cosignatures, audit_personal_data TO numguard_app;
GRANT SELECT, INSERT, UPDATE ON log_witnesses TO numguard_app;
REVOKE ALL ON FUNCTION audit_integrate(integer), audit_erase_personal_data(timestamptz), audit_root_at(bigint),
  audit_queue_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_integrate(integer), audit_erase_personal_data(timestamptz), audit_root_at(bigint),
  audit_queue_status() TO numguard_app;
