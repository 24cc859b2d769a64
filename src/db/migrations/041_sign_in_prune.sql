-- The sign-in throttle forgets what it no longer needs. A (username, address) pair quiet for a day has forgotten its
-- failures and locks (src/access/throttle-claims.ts, PAIR_MEMORY_MS), and a username's ceiling window is an hour, so
-- a row untouched for a day and under no lock in force means what no row means. Without this, guesses spread over
-- many usernames and addresses would grow both tables without bound. The application role has no DELETE on them;
-- it prunes through this function, which deletes only such rows.
CREATE FUNCTION prune_sign_in_throttle(p_now timestamptz) RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE
  pairs integer;
  keys integer;
BEGIN
  DELETE FROM sign_in_pairs
   WHERE updated_at < p_now - interval '1 day' AND (locked_until IS NULL OR locked_until <= p_now)
     AND claimed_at < p_now - interval '1 day';
  GET DIAGNOSTICS pairs = ROW_COUNT;
  DELETE FROM sign_in_throttle
   WHERE updated_at < p_now - interval '1 day' AND (locked_until IS NULL OR locked_until <= p_now)
     AND (claimed_at IS NULL OR claimed_at < p_now - interval '1 day');
  GET DIAGNOSTICS keys = ROW_COUNT;
  RETURN pairs + keys;
END $$;
REVOKE ALL ON FUNCTION prune_sign_in_throttle(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION prune_sign_in_throttle(timestamptz) TO numguard_app;
