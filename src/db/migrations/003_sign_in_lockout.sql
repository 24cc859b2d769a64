-- Repeated wrong passwords lock a staff account for a while (the counter and the lock are staff changes,
-- so each is audited by the sign-in attempt's own record).
ALTER TABLE staff
  ADD COLUMN failed_sign_ins integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
  ADD COLUMN locked_until timestamptz;
