-- Partner APIs (CAMARA Number Recycling 0.2, SIM Swap 2.1, SIM Swap Subscriptions 0.3; src/partner).
-- A partner is a machine client with a declared purpose and a quota; every question it asks is kept in an
-- insert-only access log that compliance searches and the holder's STATUS reply counts.

CREATE TABLE partner_clients (
  client_id           text PRIMARY KEY REFERENCES machine_clients (id),
  purpose             text NOT NULL CHECK (length(purpose) BETWEEN 3 AND 500),
  requests_per_minute integer NOT NULL DEFAULT 3000 CHECK (requests_per_minute > 0),
  created_at          timestamptz NOT NULL
);

-- One row per answered question. No foreign key to numbers: a question about a number outside our ranges is
-- recorded too (its answer is IDENTIFIER_NOT_FOUND).
CREATE TABLE partner_access_log (
  id         bigserial PRIMARY KEY,
  client_id  text NOT NULL REFERENCES machine_clients (id),
  msisdn     text NOT NULL CHECK (length(msisdn) <= 20),
  operation  text NOT NULL CHECK (operation IN ('number_recycling_check', 'sim_swap_retrieve_date', 'sim_swap_check',
                                               'sim_swap_subscription_create')),
  question   jsonb NOT NULL,
  status     smallint NOT NULL,
  answer     jsonb NOT NULL,
  correlator text,
  asked_at   timestamptz NOT NULL
);
CREATE INDEX partner_access_number ON partner_access_log (msisdn, asked_at DESC);
CREATE INDEX partner_access_client ON partner_access_log (client_id, asked_at DESC);

-- The log is evidence: nobody rewrites it, the owner included (retention deletes would come with their own rule).
CREATE FUNCTION partner_access_log_is_insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the partner access log is insert-only' USING ERRCODE = 'NG030';
END $$;
CREATE TRIGGER partner_access_log_insert_only BEFORE UPDATE OR DELETE ON partner_access_log
  FOR EACH ROW EXECUTE FUNCTION partner_access_log_is_insert_only();

-- The hot path looks up a number's custodies from a date and its latest SIM binding.
CREATE INDEX custodies_number_started ON custodies (msisdn, started_at);
CREATE INDEX sim_bindings_number_started ON sim_bindings (msisdn, started_at DESC);

-- SIM Swap Subscriptions: a partner's standing question about one number, and the outbox of CloudEvents to its sink.
CREATE TABLE partner_subscriptions (
  id              uuid PRIMARY KEY,
  client_id       text NOT NULL REFERENCES machine_clients (id),
  msisdn          text NOT NULL REFERENCES numbers (msisdn),
  types           text[] NOT NULL,
  sink            text NOT NULL,
  -- The bearer token the partner gave for its sink (CAMARA sinkCredential): sent with every event, never shown.
  sink_token      text,
  sink_token_expires_at timestamptz,
  max_events      integer CHECK (max_events IS NULL OR max_events > 0),
  events_sent     integer NOT NULL DEFAULT 0 CHECK (events_sent >= 0),
  starts_at       timestamptz NOT NULL,
  expires_at      timestamptz,
  status          text NOT NULL CHECK (status IN ('ACTIVE', 'EXPIRED', 'INACTIVE', 'DELETED')),
  ended_at        timestamptz,
  end_reason      text CHECK (end_reason IN ('SUBSCRIPTION_EXPIRED', 'MAX_EVENTS_REACHED', 'SUBSCRIPTION_DELETED',
                                             'ACCESS_TOKEN_EXPIRED')),
  created_at      timestamptz NOT NULL,
  CONSTRAINT ended_has_reason CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX partner_subscriptions_number ON partner_subscriptions (msisdn) WHERE status = 'ACTIVE';
CREATE INDEX partner_subscriptions_client ON partner_subscriptions (client_id, created_at);
CREATE INDEX partner_subscriptions_expiring ON partner_subscriptions (expires_at) WHERE status = 'ACTIVE';

CREATE TABLE partner_events (
  id              uuid PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES partner_subscriptions (id),
  type            text NOT NULL,
  -- The CloudEvent exactly as sent (its id lets the partner de-duplicate a redelivery).
  event           jsonb NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  last_error      text,
  created_at      timestamptz NOT NULL,
  delivered_at    timestamptz,
  -- One swap makes one event per subscription, whoever notices it first.
  dedupe_key      text NOT NULL UNIQUE
);
CREATE INDEX partner_events_due ON partner_events (next_attempt_at) WHERE state = 'pending';
CREATE INDEX partner_events_subscription ON partner_events (subscription_id, created_at);

GRANT SELECT, INSERT ON partner_clients TO numguard_app;
GRANT UPDATE (purpose, requests_per_minute) ON partner_clients TO numguard_app;
GRANT SELECT, INSERT ON partner_access_log TO numguard_app;
GRANT USAGE ON SEQUENCE partner_access_log_id_seq TO numguard_app;
GRANT SELECT, INSERT ON partner_subscriptions TO numguard_app;
GRANT UPDATE (events_sent, status, ended_at, end_reason) ON partner_subscriptions TO numguard_app;
GRANT SELECT, INSERT ON partner_events TO numguard_app;
GRANT UPDATE (state, attempts, next_attempt_at, last_error, delivered_at) ON partner_events TO numguard_app;
