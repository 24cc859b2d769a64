-- Staff sign-in throttle: repeated failed sign-ins lock a username for a while. Keyed by the username, not by
-- staff.id, so unknown usernames are throttled too; a table of its own, not columns of staff, so counting a failed
-- attempt is not a guarded staff change. For a username that names no staff account the key is
-- 'sha256:' || its hex SHA-256, so text typed into the username field (sometimes a password) is never stored.
-- failures counts attempts claimed since the last success or expired lock, including ones still being verified:
-- src/access/sessions.ts claims an attempt here before it verifies the password, which bounds guesses under
-- parallel requests.
CREATE TABLE sign_in_throttle (
  username text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  locked_until timestamptz,
  updated_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON sign_in_throttle TO numguard_app;
