-- Reconciliation (issue 10, item 4): each run rebuilds every number's holder, SIM and state from the audit leaves
-- alone and compares them with the tables; the run itself is kept here (and has its own leaf, audit.reconciled), its
-- differences become risk alerts. Append-only: a run is never edited or removed.
CREATE TABLE reconcile_runs (
  id              uuid PRIMARY KEY,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz NOT NULL CHECK (finished_at >= started_at),
  trigger         text NOT NULL CHECK (trigger IN ('cli', 'worker', 'api')),
  leaves_read     bigint NOT NULL CHECK (leaves_read >= 0),
  numbers_checked bigint NOT NULL CHECK (numbers_checked >= 0),
  migrated        bigint NOT NULL CHECK (migrated >= 0),
  differences     bigint NOT NULL CHECK (differences >= 0),
  -- The first differences as found (number, field, what the log says, what the table says, rows, transaction).
  details         jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX reconcile_runs_recent ON reconcile_runs (started_at DESC);

CREATE FUNCTION reconcile_runs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'reconcile_runs is append-only: % refused', TG_OP USING ERRCODE = 'NG002';
END $$;
CREATE TRIGGER reconcile_runs_append_only BEFORE UPDATE OR DELETE ON reconcile_runs
  FOR EACH ROW EXECUTE FUNCTION reconcile_runs_append_only();

GRANT SELECT, INSERT ON reconcile_runs TO numguard_app;
