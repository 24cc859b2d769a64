-- Identical alerts count repeats instead of flooding the list (issue 9 item 7): the same kind, about the same staff
-- member (or machine client) and subject, raised again within a short window increments `repeats` and moves
-- `last_seen_at` on the alert already raised. Alerts stay insert-only otherwise: the application role may update
-- only these two columns, only by one step, and only with an audit record in the same transaction.

ALTER TABLE alerts ADD COLUMN subject text;
ALTER TABLE alerts ADD COLUMN repeats integer NOT NULL DEFAULT 1 CHECK (repeats >= 1);
ALTER TABLE alerts ADD COLUMN last_seen_at timestamptz;
UPDATE alerts SET last_seen_at = raised_at;
ALTER TABLE alerts ALTER COLUMN last_seen_at SET NOT NULL;
CREATE INDEX alerts_repeat ON alerts (kind, subject, raised_at DESC);

-- A new alert has been seen once, when it was raised; nobody inserts a count.
CREATE FUNCTION alerts_start_once() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  NEW.repeats := 1;
  NEW.last_seen_at := NEW.raised_at;
  RETURN NEW;
END $$;
CREATE TRIGGER alerts_start_once BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_start_once();

-- The only change an alert admits: one more repeat, seen no earlier than the last one; everything else as raised.
CREATE FUNCTION alerts_count_only() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'alerts are never deleted' USING ERRCODE = 'NG006';
  END IF;
  IF NEW.repeats <> OLD.repeats + 1 OR NEW.last_seen_at < OLD.last_seen_at
     OR (to_jsonb(NEW) - 'repeats' - 'last_seen_at') <> (to_jsonb(OLD) - 'repeats' - 'last_seen_at') THEN
    RAISE EXCEPTION 'an alert only counts one more repeat' USING ERRCODE = 'NG006';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER alerts_count_only BEFORE UPDATE OR DELETE ON alerts FOR EACH ROW EXECUTE FUNCTION alerts_count_only();

-- Invariant 6 over the count: the repeat commits only with its audit record (guard_changed_rows, migration 002).
CREATE TRIGGER alerts_audit_upd AFTER UPDATE ON alerts REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION guard_changed_rows();

GRANT UPDATE (repeats, last_seen_at) ON alerts TO numguard_app;
