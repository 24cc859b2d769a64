-- The sign-in throttle by username AND client address (issue 9): five wrong passwords from anyone no longer lock
-- anyone. Failures lock the (username, ip) pair they came from, for a time that doubles with each lock of that
-- pair; sign_in_throttle (migration 003) becomes the much higher per-username ceiling, counted over a window,
-- against guessing spread over many addresses. /oauth/token uses both tables for its client ids, under keys
-- 'client:<id>' (or 'client-sha256:<hex>' for an id that names no client); usernames cannot contain ':'.
--
-- `pending` counts attempts claimed (before the slow argon2 verify) and not yet settled, so parallel guesses get
-- no more verifications than sequential ones: a claim needs failures + pending below the limit, and a right
-- password settles without counting a failure. Attempts that never settle (a crash mid-verify) are forgotten once
-- claimed_at is a minute old: src/access/throttle-claims.ts.
ALTER TABLE sign_in_throttle
  ADD COLUMN pending integer NOT NULL DEFAULT 0 CHECK (pending >= 0),
  ADD COLUMN window_started_at timestamptz,
  ADD COLUMN claimed_at timestamptz;

-- The old counts were of the 5-attempt design: every username starts its ceiling window afresh.
UPDATE sign_in_throttle SET failures = 0, locked_until = NULL, window_started_at = NULL, claimed_at = updated_at;

CREATE TABLE sign_in_pairs (
  username     text NOT NULL,
  ip           text NOT NULL,
  failures     integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  pending      integer NOT NULL DEFAULT 0 CHECK (pending >= 0),
  -- how many times this pair was locked since its last complete sign-in: the next lock lasts 2^locks times longer
  locks        integer NOT NULL DEFAULT 0 CHECK (locks >= 0),
  locked_until timestamptz,
  claimed_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (username, ip)
);

GRANT SELECT, INSERT, UPDATE ON sign_in_pairs TO numguard_app;
