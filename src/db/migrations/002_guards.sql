-- The database is the last guard: these triggers hold the custody invariants even against raw SQL
-- run as the application role. Functions run as their owner (SECURITY DEFINER) with a pinned search_path.

-- ── Invariant 6: no guarded change commits without an audit record written in the same transaction ──

CREATE TABLE audit_tx_guard (txid bigint PRIMARY KEY);

CREATE FUNCTION audit_records_stamp() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.txid := txid_current();  -- the writer cannot claim another transaction's record
  RETURN NEW;
END $$;
CREATE TRIGGER audit_records_stamp BEFORE INSERT ON audit_records FOR EACH ROW EXECUTE FUNCTION audit_records_stamp();

CREATE FUNCTION audit_records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only' USING ERRCODE = 'NG002';
END $$;
CREATE TRIGGER audit_records_no_update BEFORE UPDATE OR DELETE ON audit_records
  FOR EACH ROW EXECUTE FUNCTION audit_records_append_only();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
  FOR EACH STATEMENT EXECUTE FUNCTION audit_records_append_only();

CREATE FUNCTION note_guarded_transaction() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
  INSERT INTO audit_tx_guard VALUES (txid_current()) ON CONFLICT DO NOTHING;
$$;

CREATE FUNCTION check_audit_written() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_records WHERE txid = NEW.txid) THEN
    RAISE EXCEPTION 'a change to custody, SIM bindings, number states, requests or staff needs its audit record in the same transaction'
      USING ERRCODE = 'NG001';
  END IF;
  DELETE FROM audit_tx_guard WHERE txid = NEW.txid;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER audit_required AFTER INSERT ON audit_tx_guard
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_audit_written();

-- Statement-level: one cheap check per statement, even for a million-row import.
CREATE FUNCTION guard_changed_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed) THEN PERFORM note_guarded_transaction(); END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['custodies','sim_bindings','requests','request_approvals','staff','migration_batches','numbers'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_audit_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
    EXECUTE format('CREATE TRIGGER %1$s_audit_del AFTER DELETE ON %1$I REFERENCING OLD TABLE AS changed
                    FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
    IF t <> 'numbers' THEN
      EXECUTE format('CREATE TRIGGER %1$s_audit_upd AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed
                      FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows()', t);
    END IF;
  END LOOP;
END $$;

-- ── Number states: only the lifecycle's transitions, consistent with custody, and audited ──

CREATE FUNCTION guard_number_states() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE bad record;
BEGIN
  SELECT o.msisdn, o.state AS from_state, n.state AS to_state INTO bad
    FROM old_rows o JOIN new_rows n USING (msisdn)
   WHERE n.state <> o.state
     AND NOT EXISTS (SELECT 1 FROM number_transitions t WHERE t.from_state = o.state AND t.to_state = n.state)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'number % may not go from % to %', bad.msisdn, bad.from_state, bad.to_state USING ERRCODE = 'NG003';
  END IF;

  -- A number is active or suspended exactly while someone holds it.
  SELECT n.msisdn, n.state AS to_state INTO bad
    FROM old_rows o JOIN new_rows n USING (msisdn)
   WHERE n.state <> o.state
     AND (n.state IN ('active', 'suspended')) <> EXISTS (SELECT 1 FROM custodies c WHERE c.msisdn = n.msisdn AND c.ended_at IS NULL)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'number % cannot be % with its current custody', bad.msisdn, bad.to_state USING ERRCODE = 'NG004';
  END IF;

  -- A lease changing hands or length is a change too, even when the state stays 'reserved'.
  IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n USING (msisdn)
              WHERE n.state <> o.state OR n.reserved_by IS DISTINCT FROM o.reserved_by
                 OR n.reserved_until IS DISTINCT FROM o.reserved_until) THEN
    PERFORM note_guarded_transaction();
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER numbers_state_guard AFTER UPDATE ON numbers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION guard_number_states();

CREATE FUNCTION numbers_start_free() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM changed WHERE state NOT IN ('available', 'retired')) THEN
    RAISE EXCEPTION 'new numbers enter the inventory available (or retired)' USING ERRCODE = 'NG003';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER numbers_start_free AFTER INSERT ON numbers REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION numbers_start_free();

-- ── Invariant 2: a custody starts only by a sale of a free number, or on an executed request or batch ──

CREATE FUNCTION custody_start_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE number_state text;
BEGIN
  IF NEW.ended_at IS NOT NULL AND NEW.basis <> 'migration' THEN
    RAISE EXCEPTION 'only a migration batch may load a custody that has already ended' USING ERRCODE = 'NG005';
  END IF;
  SELECT state INTO number_state FROM numbers WHERE msisdn = NEW.msisdn FOR UPDATE;
  IF NEW.basis = 'sale' THEN
    IF number_state NOT IN ('available', 'reserved') THEN
      RAISE EXCEPTION 'number % is %: a sale needs an available or reserved number', NEW.msisdn, number_state
        USING ERRCODE = 'NG005';
    END IF;
  ELSIF NEW.basis = 'migration' THEN
    IF NOT EXISTS (SELECT 1 FROM migration_batches b WHERE b.id = NEW.migration_batch_id AND b.status = 'executed') THEN
      RAISE EXCEPTION 'custody of % names no executed migration batch', NEW.msisdn USING ERRCODE = 'NG005';
    END IF;
  ELSIF NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = NEW.request_id AND r.status = 'executed'
                      AND r.msisdn = NEW.msisdn AND r.kind = NEW.basis) THEN
    RAISE EXCEPTION 'custody of % by % names no executed % request for this number', NEW.msisdn, NEW.basis, NEW.basis
      USING ERRCODE = 'NG005';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER custody_start_rule BEFORE INSERT ON custodies FOR EACH ROW EXECUTE FUNCTION custody_start_rule();

-- A custody is only ever closed, once; its start and basis never change; it is never deleted.
CREATE FUNCTION custody_close_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME USING ERRCODE = 'NG006';
  END IF;
  IF OLD.ended_at IS NOT NULL OR (to_jsonb(NEW) - 'ended_at' - 'end_reason') <> (to_jsonb(OLD) - 'ended_at' - 'end_reason') THEN
    RAISE EXCEPTION 'a % row may only be closed, once', TG_TABLE_NAME USING ERRCODE = 'NG006';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER custody_close_only BEFORE UPDATE OR DELETE ON custodies FOR EACH ROW EXECUTE FUNCTION custody_close_only();
CREATE TRIGGER binding_close_only BEFORE UPDATE OR DELETE ON sim_bindings FOR EACH ROW EXECUTE FUNCTION custody_close_only();

-- At commit, a number is held (active or suspended) exactly while it has an open custody: opening a custody
-- without activating the number, or closing one and leaving the number active, is refused.
CREATE FUNCTION custody_number_held() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE open_custody boolean; held boolean;
BEGIN
  -- NEW is the row as it was written; read the state as it is now, at commit.
  SELECT EXISTS (SELECT 1 FROM custodies c WHERE c.msisdn = NEW.msisdn AND c.ended_at IS NULL),
         EXISTS (SELECT 1 FROM numbers n WHERE n.msisdn = NEW.msisdn AND n.state IN ('active', 'suspended'))
    INTO open_custody, held;
  IF open_custody <> held THEN
    RAISE EXCEPTION 'number % is % but % an open custody', NEW.msisdn,
      CASE WHEN held THEN 'held' ELSE 'not held' END, CASE WHEN open_custody THEN 'has' ELSE 'has no' END
      USING ERRCODE = 'NG004';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER custody_number_held AFTER INSERT OR UPDATE ON custodies
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION custody_number_held();

-- ── Grants: the application role gets only what it needs; nothing may be deleted ──

GRANT SELECT, INSERT, UPDATE ON settings, shops, staff, sessions, machine_clients, machine_tokens, subscribers,
  requests, request_approvals, migration_batches TO numguard_app;
GRANT SELECT, INSERT ON number_ranges, alerts, audit_records TO numguard_app;
GRANT SELECT ON number_transitions TO numguard_app;
GRANT SELECT, INSERT ON numbers, sims, custodies, sim_bindings TO numguard_app;
GRANT UPDATE (state, state_changed_at, reserved_by, reserved_until) ON numbers TO numguard_app;
GRANT UPDATE (state, shop_id) ON sims TO numguard_app;
GRANT UPDATE (ended_at, end_reason) ON custodies, sim_bindings TO numguard_app;
GRANT USAGE ON SEQUENCE audit_records_seq_seq TO numguard_app;
