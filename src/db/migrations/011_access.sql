-- Staff access (issue 4, items 1 and 9): TOTP MFA, roles that come only from an executed role_grant request, the
-- 7-day cooling of new or reset approvers, and staff suspension. Written for PostgreSQL 15.

-- An account may exist without roles: the admin creates it empty and its roles arrive when a compliance officer's
-- approved role_grant request executes (src/access/staff-requests.ts). The first admin (bootstrap) is the exception.
ALTER TABLE staff DROP CONSTRAINT staff_roles_check;
ALTER TABLE staff ADD CONSTRAINT staff_roles_known
  CHECK (roles <@ ARRAY['agent','supervisor','inventory_manager','compliance_officer','auditor','admin']);

-- TOTP secrets are sealed (AES-256-GCM under a key derived from NUMGUARD_KYC_KEY, bound to the staff id) and never
-- returned once enrolled. The pending secret is offered at first sign-in until a valid code confirms it.
-- mfa_last_step is the last accepted 30-second step: a code is accepted once, never replayed.
ALTER TABLE staff
  ADD COLUMN mfa_secret bytea,
  ADD COLUMN mfa_pending_secret bytea,
  ADD COLUMN mfa_enrolled_at timestamptz,
  ADD COLUMN mfa_last_step bigint,
  -- When an executed role_grant last changed the roles, or a credential_reset executed: the approver cools for 7 days.
  ADD COLUMN roles_granted_at timestamptz,
  ADD COLUMN credentials_reset_at timestamptz,
  ADD COLUMN suspended_at timestamptz,
  ADD COLUMN suspended_by uuid REFERENCES staff (id),
  ADD COLUMN suspension_reason text,
  ADD CONSTRAINT staff_mfa_enrolled_has_secret CHECK ((mfa_enrolled_at IS NULL) = (mfa_secret IS NULL));

-- A session is usable only when its MFA step is done where the staff member's role or enrolment asks for it:
-- 'enrolment' and 'pending' sessions may only finish MFA or sign out (src/access/sessions.ts).
ALTER TABLE sessions ADD COLUMN mfa text NOT NULL DEFAULT 'not_required'
  CHECK (mfa IN ('not_required', 'enrolment', 'pending', 'verified'));

-- DOMAIN: new or reset approvers cannot approve for 7 days. The application never assigns them; this refuses a
-- decision recorded inside the period even by raw SQL as the application role.
CREATE FUNCTION approval_after_cooling() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE since timestamptz;
BEGIN
  SELECT greatest(roles_granted_at, credentials_reset_at) INTO since FROM staff WHERE id = NEW.approver_id;
  IF since IS NOT NULL AND NEW.decided_at < since + interval '7 days' THEN
    RAISE EXCEPTION 'staff % was granted a role or had credentials reset at %: no decisions for 7 days', NEW.approver_id, since
      USING ERRCODE = 'NG007';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER approval_after_cooling BEFORE INSERT ON request_approvals
  FOR EACH ROW EXECUTE FUNCTION approval_after_cooling();
