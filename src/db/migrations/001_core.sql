-- numguard core schema. Written for PostgreSQL 15 (PGlite runs 18: no uuidv7(), no WITHOUT OVERLAPS here).
-- The application connects as numguard_app, which holds only the grants at the end of this file.

CREATE TABLE settings (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);

CREATE TABLE shops (
  id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]{2,40}$'),
  name       text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE staff (
  id            uuid PRIMARY KEY,
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{2,64}$'),
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  roles         text[] NOT NULL CHECK (roles <@ ARRAY['agent','supervisor','inventory_manager','compliance_officer','auditor','admin']
                                       AND cardinality(roles) > 0),
  shop_id       text REFERENCES shops (id),
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  is_demo       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  -- DOMAIN: an admin holds no role that acts on numbers.
  CONSTRAINT admin_acts_on_no_number CHECK (NOT ('admin' = ANY (roles) AND roles && ARRAY['agent','supervisor','inventory_manager','compliance_officer']))
);

CREATE TABLE sessions (
  id          uuid PRIMARY KEY,
  staff_id    uuid NOT NULL REFERENCES staff (id),
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  last_seen_at timestamptz NOT NULL,
  client      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX sessions_staff ON sessions (staff_id) WHERE revoked_at IS NULL;

CREATE TABLE machine_clients (
  id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9._-]{2,64}$'),
  name        text NOT NULL,
  secret_hash text NOT NULL,
  scopes      text[] NOT NULL,
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  is_demo     boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL
);

CREATE TABLE machine_tokens (
  id         uuid PRIMARY KEY,
  client_id  text NOT NULL REFERENCES machine_clients (id),
  token_hash bytea NOT NULL UNIQUE,
  scopes     text[] NOT NULL,
  issued_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);

CREATE TABLE number_ranges (
  id          uuid PRIMARY KEY,
  first_msisdn text NOT NULL,
  last_msisdn  text NOT NULL,
  first_value bigint NOT NULL,
  last_value  bigint NOT NULL,
  size        integer NOT NULL CHECK (size = last_value - first_value + 1),
  category    text NOT NULL CHECK (category IN ('standard', 'golden')),
  input_sha256 text NOT NULL,
  imported_at timestamptz NOT NULL,
  imported_by uuid REFERENCES staff (id),
  CONSTRAINT ranges_do_not_overlap EXCLUDE USING gist (int8range(first_value, last_value, '[]') WITH &&)
);

CREATE TABLE number_transitions (
  from_state text NOT NULL,
  to_state   text NOT NULL,
  PRIMARY KEY (from_state, to_state)
);
-- Kept in step with src/domain/lifecycle.ts by a test.
INSERT INTO number_transitions VALUES
  ('available','reserved'), ('reserved','available'), ('available','active'), ('reserved','active'),
  ('active','suspended'), ('suspended','active'), ('active','aging'), ('suspended','aging'),
  ('aging','available'), ('aging','active'), ('available','retired'), ('aging','retired'),
  ('active','ported_out'), ('suspended','ported_out');

CREATE TABLE numbers (
  msisdn           text PRIMARY KEY CHECK (msisdn ~ '^\+[1-9][0-9]{6,14}$'),
  range_id         uuid NOT NULL REFERENCES number_ranges (id),
  category         text NOT NULL CHECK (category IN ('standard', 'golden')),
  state            text NOT NULL CHECK (state IN ('available','reserved','active','suspended','aging','retired','ported_out')),
  state_changed_at timestamptz NOT NULL,
  reserved_by      uuid REFERENCES staff (id),
  reserved_until   timestamptz,
  CONSTRAINT reservation_only_when_reserved CHECK ((state = 'reserved') = (reserved_until IS NOT NULL AND reserved_by IS NOT NULL))
);
CREATE INDEX numbers_state ON numbers (state, msisdn);
CREATE INDEX numbers_reserved_until ON numbers (reserved_until) WHERE state = 'reserved';

CREATE TABLE subscribers (
  id            uuid PRIMARY KEY,
  party_kind    text NOT NULL CHECK (party_kind IN ('person', 'organisation')),
  account_type  text NOT NULL CHECK (account_type IN ('prepaid', 'postpaid')),
  name          text NOT NULL,
  kyc_doc_kind  text NOT NULL CHECK (kyc_doc_kind IN ('national_id', 'passport', 'business_registration', 'other')),
  kyc_doc_hash  text NOT NULL,
  kyc_doc_last4 text NOT NULL,
  language      text NOT NULL CHECK (language IN ('km', 'en')),
  alt_contact   text,
  created_at    timestamptz NOT NULL
);
CREATE INDEX subscribers_kyc ON subscribers (kyc_doc_hash);

CREATE TABLE sims (
  iccid       text PRIMARY KEY CHECK (iccid ~ '^89[0-9]{16,18}$'),
  imsi        text NOT NULL UNIQUE CHECK (imsi ~ '^[0-9]{14,15}$'),
  state       text NOT NULL CHECK (state IN ('in_stock', 'allocated', 'bound', 'deactivated', 'lost_stolen')),
  shop_id     text REFERENCES shops (id),
  imported_at timestamptz NOT NULL,
  CONSTRAINT allocated_sims_have_a_shop CHECK (state <> 'allocated' OR shop_id IS NOT NULL)
);
CREATE INDEX sims_shop_state ON sims (shop_id, state);

-- Requests: behaviour comes with the access issue; the table exists so custody can name its basis.
CREATE TABLE requests (
  id             uuid PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('transfer','sim_swap','sim_swap_lost','termination','reclaim','kyc_change',
                                               'legal_order','restoration','hold_release','policy_change','retirement',
                                               'migration_batch','role_grant','credential_reset','port_in')),
  msisdn         text REFERENCES numbers (msisdn),
  status         text NOT NULL CHECK (status IN ('pending','approved','executed','rejected','cancelled','expired')),
  payload        jsonb NOT NULL,
  payload_sha256 text NOT NULL CHECK (payload_sha256 ~ '^[0-9a-f]{64}$'),
  requested_by   uuid NOT NULL REFERENCES staff (id),
  requested_at   timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  not_before     timestamptz,
  decided_at     timestamptz,
  executed_at    timestamptz,
  CONSTRAINT executed_has_time CHECK ((status = 'executed') = (executed_at IS NOT NULL))
);
CREATE INDEX requests_number ON requests (msisdn) WHERE status IN ('pending', 'approved');

CREATE TABLE request_approvals (
  request_id     uuid NOT NULL REFERENCES requests (id),
  approver_id    uuid NOT NULL REFERENCES staff (id),
  payload_sha256 text NOT NULL,
  decision       text NOT NULL CHECK (decision IN ('approved', 'rejected')),
  decided_at     timestamptz NOT NULL,
  voided_at      timestamptz,
  PRIMARY KEY (request_id, approver_id)
);

CREATE TABLE migration_batches (
  id          uuid PRIMARY KEY,
  source      text NOT NULL,
  status      text NOT NULL CHECK (status IN ('pending', 'executed')),
  input_sha256 text NOT NULL,
  request_id  uuid REFERENCES requests (id),
  created_at  timestamptz NOT NULL,
  executed_at timestamptz
);

CREATE TABLE custodies (
  id                 uuid PRIMARY KEY,
  msisdn             text NOT NULL REFERENCES numbers (msisdn),
  subscriber_id      uuid NOT NULL REFERENCES subscribers (id),
  basis              text NOT NULL CHECK (basis IN ('sale','transfer','reclaim','restoration','migration','port_in')),
  request_id         uuid REFERENCES requests (id),
  migration_batch_id uuid REFERENCES migration_batches (id),
  started_at         timestamptz NOT NULL,
  ended_at           timestamptz,
  end_reason         text CHECK (end_reason IN ('inactivity','termination','transfer','legal_order','restoration',
                                                'ported_out','migration')),
  CONSTRAINT end_has_reason CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  CONSTRAINT ends_after_start CHECK (ended_at IS NULL OR ended_at >= started_at),
  CONSTRAINT basis_names_its_ground CHECK (
    (basis = 'sale' AND request_id IS NULL AND migration_batch_id IS NULL) OR
    (basis = 'migration' AND migration_batch_id IS NOT NULL AND request_id IS NULL) OR
    (basis IN ('transfer','reclaim','restoration','port_in') AND request_id IS NOT NULL AND migration_batch_id IS NULL)),
  -- Invariant 1: one open custody per number, never overlapping periods.
  CONSTRAINT custodies_do_not_overlap EXCLUDE USING gist (msisdn WITH =, tstzrange(started_at, ended_at, '[)') WITH &&)
);
CREATE INDEX custodies_subscriber ON custodies (subscriber_id);

CREATE TABLE sim_bindings (
  id         uuid PRIMARY KEY,
  msisdn     text NOT NULL REFERENCES numbers (msisdn),
  iccid      text NOT NULL REFERENCES sims (iccid),
  custody_id uuid NOT NULL REFERENCES custodies (id),
  request_id uuid REFERENCES requests (id),
  started_at timestamptz NOT NULL,
  ended_at   timestamptz,
  end_reason text CHECK (end_reason IN ('sim_swap','custody_ended','sim_lost','migration')),
  CONSTRAINT binding_end_has_reason CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  CONSTRAINT one_sim_per_number EXCLUDE USING gist (msisdn WITH =, tstzrange(started_at, ended_at, '[)') WITH &&),
  CONSTRAINT one_number_per_sim EXCLUDE USING gist (iccid WITH =, tstzrange(started_at, ended_at, '[)') WITH &&)
);
CREATE INDEX sim_bindings_custody ON sim_bindings (custody_id);

CREATE TABLE alerts (
  id         uuid PRIMARY KEY,
  kind       text NOT NULL,
  severity   text NOT NULL CHECK (severity IN ('info', 'warning', 'risk')),
  staff_id   uuid REFERENCES staff (id),
  session_id uuid REFERENCES sessions (id),
  client_id  text REFERENCES machine_clients (id),
  msisdn     text,
  attempt    jsonb NOT NULL,
  raised_at  timestamptz NOT NULL
);
CREATE INDEX alerts_recent ON alerts (raised_at DESC);
CREATE INDEX alerts_number ON alerts (msisdn, raised_at DESC);

-- The audit record queue: the audit issue turns each record into a leaf of a Merkle tree.
CREATE TABLE audit_records (
  seq         bigserial PRIMARY KEY,
  event_id    uuid NOT NULL UNIQUE,
  txid        bigint NOT NULL,
  recorded_at timestamptz NOT NULL,
  action      text NOT NULL,
  msisdn      text,
  envelope    jsonb NOT NULL
);
CREATE INDEX audit_records_tx ON audit_records (txid);
CREATE INDEX audit_records_number ON audit_records (msisdn, seq) WHERE msisdn IS NOT NULL;
