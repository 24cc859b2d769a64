-- Staff changes only by their requests (issue 10, item 3, third point; the last point for staff rows). Until now the
-- application role could INSERT a supervisor or UPDATE staff SET roles = … in raw SQL: 011 trusted the code to change
-- roles only when a role_grant executed. From here, as numguard_app (the owner, 031's acting_as_owner, is exempt):
--   * roles, shop, roles_granted_at change only in the transaction that executed (status → executed) an approved
--     role_grant whose payload names the row, and only to that payload's roles and shop; a grant that adds a role
--     starts the cooling at the request's executed_at;
--   * the password hash, the TOTP secret, its enrolment time and credentials_reset_at change only there for a
--     credential_reset (which clears MFA and starts the cooling at executed_at), or by a TOTP enrolment: the pending
--     secret becomes the secret of an account that had none;
--   * is_demo never changes; an account is created with roles only by a bootstrap (no account holds any of its roles)
--     or as a demo account (is_demo, while no non-demo account holds a role); an admin creates accounts empty;
--   * an approval by someone granted a role or reset within 7 days is refused at approval (011) and again when the
--     request executes (a grant or reset after the approval voids it as well);
--   * every changed staff row needs a leaf of its transaction that names it (data or after .staff_id) with an action of
--     that kind of change: a new account staff.created (demo accounts: the seed's demo.seeded); roles or shop
--     staff.roles_granted; credentials staff.credentials_reset or staff.mfa_enrolled; anything else (status, the TOTP
--     step, a pending secret, names) any staff.* or session.* leaf, which may name the account as its actor.
-- Refusals use NG037; the leaf check uses NG001, the audit-record-required code.

-- Staff-kind requests executed, by transaction: written when the status becomes executed (once per request).
CREATE TABLE staff_request_executions (
  request_id  uuid PRIMARY KEY,
  txid        bigint NOT NULL,
  kind        text NOT NULL,
  staff_id    uuid,
  executed_at timestamptz
);
CREATE INDEX staff_request_executions_tx ON staff_request_executions (txid, staff_id);

CREATE FUNCTION request_execution_staff_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE cooling record;
BEGIN
  IF acting_as_owner() THEN RETURN NULL; END IF;
  -- The approver cooling, checked again at execution: an approval decided within 7 days of its approver's latest
  -- grant or reset (or before it), or an execution within those 7 days, does not count.
  SELECT a.approver_id, greatest(s.roles_granted_at, s.credentials_reset_at) AS since INTO cooling
    FROM request_approvals a JOIN staff s ON s.id = a.approver_id
   WHERE a.request_id = NEW.id AND a.decision = 'approved' AND a.voided_at IS NULL
     AND greatest(s.roles_granted_at, s.credentials_reset_at) IS NOT NULL
     AND (a.decided_at < greatest(s.roles_granted_at, s.credentials_reset_at) + interval '7 days'
          OR coalesce(NEW.executed_at, a.decided_at) < greatest(s.roles_granted_at, s.credentials_reset_at) + interval '7 days')
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'request % rests on an approval by staff %, granted a role or reset at %: no decisions for 7 days',
      NEW.id, cooling.approver_id, cooling.since USING ERRCODE = 'NG037';
  END IF;
  IF NEW.kind IN ('role_grant', 'credential_reset') THEN
    INSERT INTO staff_request_executions (request_id, txid, kind, staff_id, executed_at)
    VALUES (NEW.id, txid_current(), NEW.kind, audit_uuid_or_null(NEW.payload ->> 'staff_id'), NEW.executed_at)
    ON CONFLICT (request_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER request_execution_staff_rules AFTER UPDATE OF status ON requests
  FOR EACH ROW WHEN (NEW.status = 'executed' AND OLD.status IS DISTINCT FROM 'executed')
  EXECUTE FUNCTION request_execution_staff_rules();

-- The staff-kind request of `p_kind` executed in this transaction that names `p_staff`, or NULL.
CREATE FUNCTION staff_request_executed_here(p_kind text, p_staff uuid) RETURNS requests LANGUAGE sql STABLE
SECURITY DEFINER SET search_path FROM CURRENT AS $$
  SELECT r.* FROM staff_request_executions e JOIN requests r ON r.id = e.request_id
   WHERE e.txid = txid_current() AND e.kind = p_kind AND e.staff_id = p_staff AND r.status = 'executed'
   ORDER BY r.executed_at DESC LIMIT 1
$$;

CREATE FUNCTION staff_change_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  r requests;
  adds boolean;
BEGIN
  IF acting_as_owner() THEN RETURN NEW; END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.is_demo THEN
      IF cardinality(NEW.roles) > 0 AND EXISTS (SELECT 1 FROM staff s WHERE NOT s.is_demo AND cardinality(s.roles) > 0) THEN
        RAISE EXCEPTION 'demo accounts are seeded only while no real account holds a role' USING ERRCODE = 'NG037';
      END IF;
    ELSIF cardinality(NEW.roles) > 0 AND EXISTS (SELECT 1 FROM staff s WHERE s.roles && NEW.roles) THEN
      RAISE EXCEPTION 'an account is created without roles: its roles come from an approved role_grant request (only the bootstrap of a role nobody holds creates it with roles)'
        USING ERRCODE = 'NG037';
    END IF;
    RETURN NEW;
  END IF;

  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.is_demo IS DISTINCT FROM OLD.is_demo THEN
    RAISE EXCEPTION 'a staff account''s id and demo mark never change' USING ERRCODE = 'NG037';
  END IF;

  IF (NEW.roles, NEW.shop_id, NEW.roles_granted_at) IS DISTINCT FROM (OLD.roles, OLD.shop_id, OLD.roles_granted_at) THEN
    r := staff_request_executed_here('role_grant', NEW.id);
    IF r.id IS NULL THEN
      RAISE EXCEPTION 'the roles and shop of staff % change only when an approved role_grant request executes', NEW.id
        USING ERRCODE = 'NG037';
    END IF;
    adds := EXISTS (SELECT 1 FROM unnest(NEW.roles) x WHERE NOT x = ANY (OLD.roles));
    IF NOT adds THEN r.executed_at := OLD.roles_granted_at; END IF;  -- only a grant that adds a role restarts the cooling
    IF ARRAY(SELECT DISTINCT x FROM unnest(NEW.roles) x ORDER BY 1)
         IS DISTINCT FROM ARRAY(SELECT DISTINCT x FROM jsonb_array_elements_text(r.payload -> 'roles') x ORDER BY 1)
       OR NEW.shop_id IS DISTINCT FROM (r.payload ->> 'shop_id')
       OR NEW.roles_granted_at IS DISTINCT FROM r.executed_at THEN
      RAISE EXCEPTION 'staff % may take only the roles and shop of role_grant % (cooling from its execution)', NEW.id, r.id
        USING ERRCODE = 'NG037';
    END IF;
  END IF;

  IF (NEW.password_hash, NEW.mfa_secret, NEW.mfa_enrolled_at, NEW.credentials_reset_at)
     IS DISTINCT FROM (OLD.password_hash, OLD.mfa_secret, OLD.mfa_enrolled_at, OLD.credentials_reset_at) THEN
    -- A TOTP enrolment: the offered (pending) secret becomes the secret of an account that had none.
    IF OLD.mfa_secret IS NULL AND OLD.mfa_pending_secret IS NOT NULL AND NEW.mfa_secret = OLD.mfa_pending_secret
       AND NEW.mfa_pending_secret IS NULL AND NEW.mfa_enrolled_at IS NOT NULL
       AND (NEW.password_hash, NEW.credentials_reset_at) IS NOT DISTINCT FROM (OLD.password_hash, OLD.credentials_reset_at) THEN
      RETURN NEW;
    END IF;
    r := staff_request_executed_here('credential_reset', NEW.id);
    IF r.id IS NULL THEN
      RAISE EXCEPTION 'the credentials of staff % change only when an approved credential_reset request executes (or by a TOTP enrolment)', NEW.id
        USING ERRCODE = 'NG037';
    END IF;
    IF NEW.mfa_secret IS NOT NULL OR NEW.mfa_pending_secret IS NOT NULL OR NEW.mfa_enrolled_at IS NOT NULL
       OR NEW.credentials_reset_at IS DISTINCT FROM r.executed_at THEN
      RAISE EXCEPTION 'credential_reset % clears the TOTP enrolment of staff % and starts the cooling at its execution', r.id, NEW.id
        USING ERRCODE = 'NG037';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER staff_change_rules BEFORE INSERT OR UPDATE ON staff
  FOR EACH ROW EXECUTE FUNCTION staff_change_rules();

-- ── Each changed staff row needs a leaf naming it ──
CREATE TABLE staff_leaf_needs (
  txid     bigint NOT NULL,
  staff_id uuid NOT NULL,
  change   text NOT NULL CHECK (change IN ('created', 'demo', 'roles', 'credentials', 'other')),
  PRIMARY KEY (txid, staff_id, change)
);
CREATE TABLE staff_leaf_tx (txid bigint PRIMARY KEY);

CREATE FUNCTION note_staff_leaf_need() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF acting_as_owner() THEN RETURN NULL; END IF;
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) IS NOT DISTINCT FROM to_jsonb(OLD) THEN RETURN NULL; END IF;
  INSERT INTO staff_leaf_needs VALUES (txid_current(), NEW.id, CASE
      WHEN TG_OP = 'INSERT' AND NEW.is_demo THEN 'demo'
      WHEN TG_OP = 'INSERT' THEN 'created'
      WHEN (NEW.roles, NEW.shop_id, NEW.roles_granted_at) IS DISTINCT FROM (OLD.roles, OLD.shop_id, OLD.roles_granted_at)
        THEN 'roles'
      WHEN (NEW.password_hash, NEW.mfa_secret, NEW.mfa_enrolled_at, NEW.credentials_reset_at)
           IS DISTINCT FROM (OLD.password_hash, OLD.mfa_secret, OLD.mfa_enrolled_at, OLD.credentials_reset_at)
        THEN 'credentials'
      ELSE 'other' END) ON CONFLICT DO NOTHING;
  INSERT INTO staff_leaf_tx VALUES (txid_current()) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER staff_leaf_need AFTER INSERT OR UPDATE ON staff FOR EACH ROW EXECUTE FUNCTION note_staff_leaf_need();

-- The first staff row changed in `p_txid` that no leaf of it names, or NULL. Leaves are read from the queue (020).
CREATE FUNCTION staff_leaf_problem(p_txid bigint) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$
  SELECT n.staff_id FROM staff_leaf_needs n
   WHERE n.txid = p_txid
     AND NOT EXISTS (
       SELECT 1 FROM (SELECT q.action, convert_from(q.leaf, 'UTF8')::jsonb AS doc FROM audit_queue q WHERE q.txid = p_txid) l
        WHERE (n.change = 'demo' AND l.action = 'demo.seeded')
           OR (n.staff_id::text IN (l.doc -> 'data' ->> 'staff_id', l.doc -> 'after' ->> 'staff_id')
               AND CASE n.change
                     WHEN 'created' THEN l.action = 'staff.created'
                     WHEN 'demo' THEN l.action = 'staff.created'
                     WHEN 'roles' THEN l.action = 'staff.roles_granted'
                     WHEN 'credentials' THEN l.action IN ('staff.credentials_reset', 'staff.mfa_enrolled')
                     ELSE l.action LIKE 'staff.%' OR l.action LIKE 'session.%' END)
           OR (n.change = 'other' AND (l.action LIKE 'staff.%' OR l.action LIKE 'session.%')
               AND n.staff_id::text = l.doc -> 'actor' ->> 'staff_id'))
   LIMIT 1
$$;

CREATE FUNCTION check_staff_leaves() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE missing uuid;
BEGIN
  missing := staff_leaf_problem(NEW.txid);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'the change to staff % has no audit leaf naming it with an action of that kind of change', missing
      USING ERRCODE = 'NG001';
  END IF;
  DELETE FROM staff_leaf_needs WHERE txid = NEW.txid;
  DELETE FROM staff_leaf_tx WHERE txid = NEW.txid;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER staff_leaves_required AFTER INSERT ON staff_leaf_tx
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_staff_leaves();
