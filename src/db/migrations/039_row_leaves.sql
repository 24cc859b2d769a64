-- Each guarded row change needs ITS leaf (issue 10, item 3, last point). Until now (002, 020) any one audit leaf in
-- the transaction let every change to custodies, SIM bindings, number states and requests commit, so a raw-SQL
-- writer could move numbers under a leaf about anything. From here each changed row leaves a need, and at commit
-- every need of the transaction must be met by a leaf of the same transaction that
--   * names that row: the same msisdn (custodies, sim_bindings, numbers) or the same request_id (requests), both
--     stamped from the leaf itself by audit_records_stamp (020); a binding is matched on its msisdn, not its ICCID
--     (leaves do not all carry it in a stamped column);
--   * and is of an action allowed for that kind of change (row_leaf_kinds below).
-- A whole-set load (a migration batch executed in this transaction) is named by its batch: a leaf of an allowed
-- 'migration_batch' action whose basis is the batch id meets the needs of every custody, binding and number state
-- of the transaction, and of the batch's own request; a custody or binding of a batch executed earlier needs such a
-- leaf naming its batch. Staff rows are migration 037's.
-- Owner-marked connections (test fixtures that stand in for the engine, 031's acting_as_owner) leave no needs; the
-- 002 check that some leaf exists still holds for them. Refusals use NG001, the audit-record-required code.
-- Leaves are read from the queue, as 020's check does: a running transaction's leaves are always still queued.

-- ── The mapping: which leaf actions may describe which change ──
-- change: custodies 'start:<basis>' | 'end:<end_reason>'; sim_bindings 'start' | 'end:<end_reason>';
-- numbers '<old state>-><new state>' (same state: the lease changed); requests 'insert' | 'status:<new status>' |
-- 'update' (other columns); '*' / 'migration_batch' for whole-set loads. src/db/row-leaves.test.ts checks that every
-- action the code records on these tables appears here.
CREATE TABLE row_leaf_kinds (
  tbl    text NOT NULL CHECK (tbl IN ('custodies', 'sim_bindings', 'numbers', 'requests', '*')),
  change text NOT NULL,
  action text NOT NULL,
  PRIMARY KEY (tbl, change, action)
);
INSERT INTO row_leaf_kinds (tbl, change, action) VALUES
  ('custodies', 'start:sale', 'number.sold'),
  ('custodies', 'start:transfer', 'number.transferred'),
  ('custodies', 'start:reclaim', 'number.reclaimed'),
  ('custodies', 'start:reinstatement', 'number.reinstated'),
  -- Restorations and ports in have no command yet: the executed request's own leaf (it names the number) stands.
  ('custodies', 'start:restoration', 'request.executed'),
  ('custodies', 'start:port_in', 'request.executed'),
  ('custodies', 'end:restoration', 'request.executed'),
  ('custodies', 'end:ported_out', 'request.executed'),
  ('sim_bindings', 'start', 'request.executed'),
  ('custodies', 'end:inactivity', 'number.withdrawn'),
  ('custodies', 'end:termination', 'number.terminated'),
  ('custodies', 'end:transfer', 'number.transferred'),
  ('custodies', 'end:legal_order', 'number.withdrawn_by_legal_order'),
  ('sim_bindings', 'start', 'number.sold'),
  ('sim_bindings', 'start', 'number.transferred'),
  ('sim_bindings', 'start', 'sim.swapped'),
  ('sim_bindings', 'start', 'number.reclaimed'),
  ('sim_bindings', 'start', 'number.reinstated'),
  ('sim_bindings', 'end:sim_swap', 'sim.swapped'),
  ('sim_bindings', 'end:sim_lost', 'sim.swapped'),
  ('sim_bindings', 'end:custody_ended', 'number.transferred'),
  ('sim_bindings', 'end:custody_ended', 'number.terminated'),
  ('sim_bindings', 'end:custody_ended', 'number.withdrawn_by_legal_order'),
  ('sim_bindings', 'end:custody_ended', 'number.withdrawn'),
  ('numbers', 'available->reserved', 'number.reserved'),
  ('numbers', 'reserved->reserved', 'number.reserved'),
  ('numbers', 'reserved->available', 'number.released'),
  ('numbers', 'reserved->available', 'number.reservation_expired'),
  ('numbers', 'available->active', 'number.sold'),
  ('numbers', 'reserved->active', 'number.sold'),
  ('numbers', 'active->suspended', 'number.suspended'),
  ('numbers', 'suspended->active', 'number.reactivated'),
  ('numbers', 'active->aging', 'number.withdrawn'),
  ('numbers', 'suspended->aging', 'number.withdrawn'),
  ('numbers', 'active->aging', 'number.terminated'),
  ('numbers', 'suspended->aging', 'number.terminated'),
  ('numbers', 'active->aging', 'number.withdrawn_by_legal_order'),
  ('numbers', 'suspended->aging', 'number.withdrawn_by_legal_order'),
  ('numbers', 'aging->available', 'number.aged_out'),
  ('numbers', 'aging->active', 'number.reclaimed'),
  ('numbers', 'aging->active', 'number.reinstated'),
  ('requests', 'insert', 'request.created'),
  ('requests', 'status:approved', 'request.approved'),
  ('requests', 'status:approved', 'request.consent_recorded'),
  ('requests', 'status:rejected', 'request.rejected'),
  ('requests', 'status:executed', 'request.executed'),
  ('requests', 'status:expired', 'request.expired'),
  ('requests', 'status:cancelled', 'request.cancelled'),
  ('requests', 'update', 'request.reassigned'),
  ('requests', 'update', 'request.executed'),
  ('*', 'migration_batch', 'demo.seeded');
CREATE TRIGGER row_leaf_kinds_append_only BEFORE UPDATE OR DELETE ON row_leaf_kinds
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
GRANT SELECT ON row_leaf_kinds TO numguard_app;

-- ── What the transaction changed and still has to describe ──
CREATE TABLE row_leaf_needs (
  txid       bigint NOT NULL,
  tbl        text NOT NULL,
  change     text NOT NULL,
  msisdn     text,
  request_id uuid,
  -- The migration batch a custody (or its binding) was loaded by, if any.
  batch_id   uuid
);
CREATE INDEX row_leaf_needs_tx ON row_leaf_needs (txid);
-- The commit check looks leaves up by transaction and row.
CREATE INDEX audit_queue_tx_number ON audit_queue (txid, msisdn);
CREATE INDEX audit_queue_tx_request ON audit_queue (txid, request_id) WHERE request_id IS NOT NULL;

CREATE FUNCTION note_row_leaf_needs() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF acting_as_owner() THEN RETURN NULL; END IF;
  -- Needs first, then the guard row: with the check set IMMEDIATE it runs as the guard row goes in.
  IF TG_TABLE_NAME = 'custodies' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO row_leaf_needs SELECT DISTINCT txid_current(), 'custodies', 'start:' || n.basis, n.msisdn, NULL::uuid,
             n.migration_batch_id FROM new_rows n;
    ELSE
      INSERT INTO row_leaf_needs SELECT DISTINCT txid_current(), 'custodies', 'end:' || coalesce(n.end_reason, ''), n.msisdn,
             NULL::uuid, n.migration_batch_id FROM new_rows n JOIN old_rows o USING (id)
       WHERE n.ended_at IS DISTINCT FROM o.ended_at OR n.end_reason IS DISTINCT FROM o.end_reason;
    END IF;
  ELSIF TG_TABLE_NAME = 'sim_bindings' THEN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO row_leaf_needs SELECT DISTINCT txid_current(), 'sim_bindings', 'start', n.msisdn, NULL::uuid,
             (SELECT c.migration_batch_id FROM custodies c WHERE c.id = n.custody_id) FROM new_rows n;
    ELSE
      INSERT INTO row_leaf_needs SELECT DISTINCT txid_current(), 'sim_bindings', 'end:' || coalesce(n.end_reason, ''), n.msisdn,
             NULL::uuid, (SELECT c.migration_batch_id FROM custodies c WHERE c.id = n.custody_id) FROM new_rows n JOIN old_rows o USING (id)
       WHERE n.ended_at IS DISTINCT FROM o.ended_at OR n.end_reason IS DISTINCT FROM o.end_reason;
    END IF;
  ELSIF TG_TABLE_NAME = 'numbers' THEN
    INSERT INTO row_leaf_needs SELECT DISTINCT txid_current(), 'numbers', o.state || '->' || n.state, n.msisdn,
           NULL::uuid, NULL::uuid FROM new_rows n JOIN old_rows o USING (msisdn)
     WHERE n.state <> o.state OR n.reserved_by IS DISTINCT FROM o.reserved_by
        OR n.reserved_until IS DISTINCT FROM o.reserved_until;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO row_leaf_needs SELECT DISTINCT txid_current(), 'requests', 'insert', n.msisdn, n.id, NULL::uuid FROM new_rows n;
  ELSE
    INSERT INTO row_leaf_needs
    SELECT DISTINCT txid_current(), 'requests',
           CASE WHEN n.status IS DISTINCT FROM o.status THEN 'status:' || n.status ELSE 'update' END, n.msisdn, n.id, NULL::uuid
      FROM new_rows n JOIN old_rows o USING (id)
     WHERE to_jsonb(n) IS DISTINCT FROM to_jsonb(o);
  END IF;
  IF FOUND THEN INSERT INTO row_leaf_tx VALUES (txid_current()) ON CONFLICT DO NOTHING; END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['custodies', 'sim_bindings', 'requests'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_row_leaf_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION note_row_leaf_needs()', t);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['custodies', 'sim_bindings', 'requests', 'numbers'] LOOP
    EXECUTE format('CREATE TRIGGER %1$s_row_leaf_upd AFTER UPDATE ON %1$I REFERENCING OLD TABLE AS old_rows
                    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION note_row_leaf_needs()', t);
  END LOOP;
END $$;

-- The first need of transaction `p_txid` that no leaf of it meets, as text; NULL when every one is met.
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined and is planned again at every call (every
-- commit); PL/pgSQL keeps the plan for the session. Measured by `npm run bench -- audit`: about 870 → 1,100 leaves/s.
CREATE FUNCTION row_leaf_problem(p_txid bigint) RETURNS text LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE problem text;
BEGIN
  WITH batches AS (
    -- Migration batches executed in this transaction and named by the basis of an allowed whole-set leaf.
    SELECT b.id, b.request_id FROM migration_batches b
     WHERE b.status = 'executed' AND b.xmin::text::bigint = p_txid % 4294967296
       AND EXISTS (SELECT 1 FROM audit_queue q JOIN row_leaf_kinds k ON k.action = q.action
                    WHERE q.txid = p_txid AND q.basis = b.id::text AND k.tbl = '*' AND k.change = 'migration_batch'))
  SELECT format('%s %s of %s has no audit leaf naming it with an action allowed for that change (allowed: %s)',
                n.tbl, n.change, coalesce(n.request_id::text, n.msisdn),
                coalesce((SELECT string_agg(k.action, ', ' ORDER BY k.action) FROM row_leaf_kinds k
                           WHERE k.tbl = n.tbl AND k.change = n.change), 'none'))
    INTO problem
    FROM row_leaf_needs n
   WHERE n.txid = p_txid
     AND NOT EXISTS (SELECT 1 FROM audit_queue q JOIN row_leaf_kinds k ON k.action = q.action
                      WHERE q.txid = p_txid AND k.tbl = n.tbl AND k.change = n.change
                        AND CASE WHEN n.tbl = 'requests' THEN q.request_id = n.request_id ELSE q.msisdn = n.msisdn END)
     AND NOT EXISTS (SELECT 1 FROM batches b WHERE n.tbl <> 'requests' OR n.request_id = b.request_id)
     -- A custody or binding of a batch, loaded later than the batch executed: a whole-set leaf naming that batch.
     AND NOT (n.batch_id IS NOT NULL AND EXISTS (
              SELECT 1 FROM audit_queue q JOIN row_leaf_kinds k ON k.action = q.action
               WHERE q.txid = p_txid AND q.basis = n.batch_id::text AND k.tbl = '*' AND k.change = 'migration_batch'))
   LIMIT 1;
  RETURN problem;
END $$;

-- One commit check per transaction (a sweep may change thousands of rows): its own guard row, like 002's, so that
-- 002's check and any other migration's redefinition of it stay as they are.
CREATE TABLE row_leaf_tx (txid bigint PRIMARY KEY);
CREATE FUNCTION check_row_leaves() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE problem text;
BEGIN
  problem := row_leaf_problem(NEW.txid);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION '%', problem USING ERRCODE = 'NG001';
  END IF;
  DELETE FROM row_leaf_needs WHERE txid = NEW.txid;
  DELETE FROM row_leaf_tx WHERE txid = NEW.txid;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER row_leaves_required AFTER INSERT ON row_leaf_tx
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_row_leaves();
