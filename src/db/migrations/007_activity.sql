-- Activity ingestion (issue 3, item 1) and the provisioning outbox (item 6): what the charging system tells us
-- about numbers, and what we must tell the network (HLR/HSS) about them.

-- ── Activity ──

-- One row per accepted or refused batch (HTTP request or CLI chunk); its audit record carries the same counts and
-- the SHA-256 of the input bytes. `rejections` keeps every refused row (index, external_id, code) so nothing that
-- was sent is lost without a trace, even after the HTTP response is gone.
CREATE TABLE activity_batches (
  id            uuid PRIMARY KEY,
  received_at   timestamptz NOT NULL,
  actor         jsonb NOT NULL,
  input_sha256  text NOT NULL CHECK (input_sha256 ~ '^[0-9a-f]{64}$'),
  counts        jsonb NOT NULL,
  rejections    jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX activity_batches_recent ON activity_batches (received_at DESC);

-- Events, idempotent on (source, external_id). Hash-partitioned on that key: the table is meant to hold hundreds of
-- millions of rows, and 16 partitions keep each index and each vacuum a sixteenth of the whole. Range partitions by
-- time would make retention cheaper but cannot enforce the idempotency key, which does not contain the time.
CREATE TABLE activity_events (
  source       text NOT NULL CHECK (source ~ '^[A-Za-z0-9._:-]{1,64}$'),
  external_id  text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
  msisdn       text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('topup', 'payment', 'usage')),
  amount       numeric(20, 4),
  currency     text CHECK (currency ~ '^[A-Z]{3}$'),
  occurred_at  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL,
  -- No foreign keys, on purpose: at 10,000 events a batch, 20,000 row-level checks would cost more than the insert.
  -- batch_id names the batch written in the same transaction; custody_id is the custody this statement matched, and
  -- custodies are never deleted (custody_close_only in 002).
  batch_id     uuid NOT NULL,
  custody_id   uuid NOT NULL,
  PRIMARY KEY (source, external_id)
) PARTITION BY HASH (source, external_id);
DO $$
BEGIN
  FOR i IN 0..15 LOOP
    EXECUTE format('CREATE TABLE activity_events_p%s PARTITION OF activity_events FOR VALUES WITH (MODULUS 16, REMAINDER %s)', i, i);
  END LOOP;
END $$;
-- Usage veto and reinstatement ask "what happened to this custody since …". No other index: each one is paid by
-- every event ingested (a batch's refused rows are kept on activity_batches, its accepted ones are found by custody).
CREATE INDEX activity_events_custody ON activity_events (custody_id, occurred_at);

-- Matching an event to the custody that held its number at occurred_at: a btree probe beats the gist exclusion index.
CREATE INDEX custodies_number_start ON custodies (msisdn, started_at DESC);

-- Feed health: every source that ever sent anything (or a heartbeat) counts until it is retired; withdrawals pause
-- while any counted source has been silent longer than the policy's feed_silence_hours.
CREATE TABLE activity_sources (
  source           text PRIMARY KEY CHECK (source ~ '^[A-Za-z0-9._:-]{1,64}$'),
  first_seen_at    timestamptz NOT NULL,
  last_event_at    timestamptz,
  last_received_at timestamptz NOT NULL,
  retired_at       timestamptz
);

-- Activity is evidence a withdrawal rests on: no event is stored without its batch's audit record. Any insert
-- statement counts (even one that stored nothing): no transition table to fill with 10,000 rows per batch.
CREATE FUNCTION activity_events_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM note_guarded_transaction();
  RETURN NULL;
END $$;
CREATE TRIGGER activity_events_audit_ins AFTER INSERT ON activity_events
  FOR EACH STATEMENT EXECUTE FUNCTION activity_events_guard();

-- ── Provisioning outbox ──

-- Events for network systems, consumed in order per number: `seq` is the order, a consumer holds a lease
-- (claimed_until) and acknowledges; failures back off; after too many attempts the event is dead (and blocks the
-- later events of its number until a person requeues it).
CREATE TABLE provisioning_events (
  id              uuid PRIMARY KEY,
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  msisdn          text NOT NULL REFERENCES numbers (msisdn),
  kind            text NOT NULL CHECK (kind IN ('bar_outgoing', 'unbar', 'withdraw', 'restore', 'sim_change')),
  payload         jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  claimed_by      text,
  claimed_until   timestamptz,
  acked_at        timestamptz,
  dead_at         timestamptz,
  last_error      text,
  CONSTRAINT acked_or_dead CHECK (acked_at IS NULL OR dead_at IS NULL)
);
-- Unacknowledged events: what consumers claim and what the backlog check measures; never a scan of the history.
CREATE INDEX provisioning_pending ON provisioning_events (seq) WHERE acked_at IS NULL;
CREATE INDEX provisioning_pending_number ON provisioning_events (msisdn, seq) WHERE acked_at IS NULL;

GRANT SELECT, INSERT ON activity_batches, activity_events TO numguard_app;
GRANT SELECT, INSERT, UPDATE ON activity_sources TO numguard_app;
GRANT SELECT, INSERT ON provisioning_events TO numguard_app;
GRANT UPDATE (attempts, next_attempt_at, claimed_by, claimed_until, acked_at, dead_at, last_error)
  ON provisioning_events TO numguard_app;
