-- A custody or SIM binding may rest on an executed request or migration batch (002). These rules keep that ground
-- honest even against raw SQL as the application role: requests are born pending, move only forward, and execute
-- only with an approval by another active staff member who holds the approving role and signed the executed
-- payload; a batch executes only on its executed request; a SIM binding belongs to its number's custody, and a
-- second binding of one custody (a SIM swap) names its executed swap request.

-- Which role approves each kind (DOMAIN.md's request table). Kinds that rest on the holder's consent instead cannot
-- execute until the access release records consent; the database refuses them until then.
CREATE TABLE request_kind_rules (
  kind          text PRIMARY KEY,
  approver_role text,
  other_shop    boolean NOT NULL DEFAULT false,
  needs_consent boolean NOT NULL DEFAULT false
);
INSERT INTO request_kind_rules (kind, approver_role, other_shop, needs_consent) VALUES
  ('transfer', 'supervisor', true, true), ('sim_swap', NULL, false, true), ('sim_swap_lost', 'supervisor', true, false),
  ('termination', NULL, false, true), ('reclaim', 'supervisor', true, false), ('kyc_change', 'supervisor', true, true),
  ('legal_order', 'compliance_officer', false, false), ('restoration', 'compliance_officer', false, false),
  ('hold_release', 'compliance_officer', false, false), ('policy_change', 'compliance_officer', false, false),
  ('retirement', 'compliance_officer', false, false), ('migration_batch', 'compliance_officer', false, false),
  ('role_grant', 'compliance_officer', false, false), ('credential_reset', 'compliance_officer', false, false),
  ('port_in', 'supervisor', true, false);
GRANT SELECT ON request_kind_rules TO numguard_app;

CREATE FUNCTION request_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE rule request_kind_rules;
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'pending' OR NEW.decided_at IS NOT NULL OR NEW.executed_at IS NOT NULL THEN
      RAISE EXCEPTION 'a request is born pending' USING ERRCODE = 'NG007';
    END IF;
    RETURN NEW;
  END IF;
  IF (NEW.id, NEW.kind, NEW.msisdn, NEW.payload, NEW.payload_sha256, NEW.requested_by, NEW.requested_at)
     IS DISTINCT FROM (OLD.id, OLD.kind, OLD.msisdn, OLD.payload, OLD.payload_sha256, OLD.requested_by, OLD.requested_at) THEN
    RAISE EXCEPTION 'what a request asks, and who asked, never change' USING ERRCODE = 'NG007';
  END IF;
  IF NEW.status = OLD.status THEN RETURN NEW; END IF;
  IF NOT ((OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected', 'cancelled', 'expired'))
       OR (OLD.status = 'approved' AND NEW.status IN ('executed', 'cancelled', 'expired'))) THEN
    RAISE EXCEPTION 'request % may not go from % to %', NEW.id, OLD.status, NEW.status USING ERRCODE = 'NG007';
  END IF;
  IF NEW.status IN ('approved', 'executed') THEN
    SELECT * INTO rule FROM request_kind_rules WHERE kind = NEW.kind;
    IF rule.needs_consent THEN
      RAISE EXCEPTION 'a % request needs the holder''s consent, which this release cannot record yet', NEW.kind
        USING ERRCODE = 'NG007';
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
CREATE TRIGGER request_rules BEFORE INSERT OR UPDATE ON requests FOR EACH ROW EXECUTE FUNCTION request_rules();

CREATE FUNCTION approval_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (SELECT 1 FROM requests r WHERE r.id = NEW.request_id AND r.status = 'pending'
                     AND r.requested_by <> NEW.approver_id) OR NEW.voided_at IS NOT NULL THEN
      RAISE EXCEPTION 'an approval is given by someone other than the requester, on a pending request'
        USING ERRCODE = 'NG007';
    END IF;
  ELSIF OLD.voided_at IS NOT NULL OR NEW.voided_at IS NULL
     OR (to_jsonb(NEW) - 'voided_at') <> (to_jsonb(OLD) - 'voided_at') THEN
    RAISE EXCEPTION 'an approval is only ever voided, once' USING ERRCODE = 'NG007';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER approval_rules BEFORE INSERT OR UPDATE ON request_approvals FOR EACH ROW EXECUTE FUNCTION approval_rules();

CREATE FUNCTION migration_batch_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'pending' OR NEW.executed_at IS NOT NULL THEN
      RAISE EXCEPTION 'a migration batch is born pending' USING ERRCODE = 'NG007';
    END IF;
  ELSIF (to_jsonb(NEW) - 'status' - 'executed_at') <> (to_jsonb(OLD) - 'status' - 'executed_at')
     OR OLD.status = 'executed'
     OR (NEW.status = 'executed' AND NOT EXISTS (
           SELECT 1 FROM requests r WHERE r.id = NEW.request_id AND r.kind = 'migration_batch' AND r.status = 'executed')) THEN
    RAISE EXCEPTION 'migration batch % executes once, on its executed migration_batch request', NEW.id USING ERRCODE = 'NG007';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER migration_batch_rules BEFORE INSERT OR UPDATE ON migration_batches
  FOR EACH ROW EXECUTE FUNCTION migration_batch_rules();

CREATE FUNCTION binding_start_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE custody custodies;
BEGIN
  SELECT * INTO custody FROM custodies WHERE id = NEW.custody_id;
  IF custody.msisdn IS DISTINCT FROM NEW.msisdn THEN
    RAISE EXCEPTION 'a SIM binding of % names a custody of another number', NEW.msisdn USING ERRCODE = 'NG008';
  END IF;
  IF NEW.ended_at IS NULL AND custody.ended_at IS NOT NULL THEN
    RAISE EXCEPTION 'an open SIM binding of % needs an open custody', NEW.msisdn USING ERRCODE = 'NG008';
  END IF;
  IF NEW.ended_at IS NOT NULL AND custody.basis <> 'migration' THEN
    RAISE EXCEPTION 'only a migration batch loads a SIM binding that has already ended' USING ERRCODE = 'NG008';
  END IF;
  IF EXISTS (SELECT 1 FROM sim_bindings b WHERE b.custody_id = NEW.custody_id) AND NOT EXISTS (
       SELECT 1 FROM requests r WHERE r.id = NEW.request_id AND r.msisdn = NEW.msisdn
          AND r.kind IN ('sim_swap', 'sim_swap_lost') AND r.status = 'executed') THEN
    RAISE EXCEPTION 'a new SIM for % within one custody needs its executed SIM-swap request', NEW.msisdn
      USING ERRCODE = 'NG008';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER binding_start_rule BEFORE INSERT ON sim_bindings FOR EACH ROW EXECUTE FUNCTION binding_start_rule();
