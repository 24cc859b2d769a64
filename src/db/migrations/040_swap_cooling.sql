-- The swap-cooling window in the database (issue 10, item 5). The application refuses a transfer, a termination or a
-- KYC change for its market's swap_cooling_days after any SIM swap of the number (changes/swap-history.ts), so that no
-- consent to them can come from a SIM that a swap put in within that window. From here the database refuses the same,
-- even to raw SQL as the application role:
--   * executing a transfer, termination or kyc_change request (requests.status -> 'executed', at executed_at; checked
--     at commit, so the executor's own refusal and its alert come first);
--   * starting a custody on basis 'transfer' (at its started_at);
--   * ending a custody for 'termination' (at its ended_at);
--   * changing a subscriber's KYC identity (document kind, hash, last 4 or name), which must then say when
--     (kyc_changed_at, as the kyc_change executor sets it); refused while any number the subscriber holds is cooling.
-- A swap is a SIM binding started by an executed sim_swap or sim_swap_lost request (005 requires one for every new SIM
-- within a custody; the sim_swaps view of 013). Times are the rows' own (the application's injected clock), as in 031.

CREATE INDEX IF NOT EXISTS sim_bindings_request ON sim_bindings (request_id);

-- Why a cooled change of `p_msisdn` at `p_at` may not happen (NULL: it may): its latest swap started less than its
-- market's swap-cooling days before `p_at`.
CREATE FUNCTION swap_cooling_problem(p_msisdn text, p_at timestamptz) RETURNS text LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE swapped timestamptz; days integer;
BEGIN
  IF p_msisdn IS NULL THEN RETURN NULL; END IF;
  SELECT max(b.started_at) INTO swapped
    FROM sim_bindings b JOIN requests r ON r.id = b.request_id
   WHERE b.msisdn = p_msisdn AND r.kind IN ('sim_swap', 'sim_swap_lost');
  IF swapped IS NULL THEN RETURN NULL; END IF;
  days := market_swap_cooling_days(p_msisdn);
  IF swapped + make_interval(days => days) <= coalesce(p_at, now()) THEN RETURN NULL; END IF;
  RETURN format('%s had its SIM swapped at %s: nothing before %s (%s days after a swap)', p_msisdn, swapped,
                swapped + make_interval(days => days), days);
END $$;

-- Checked at commit (deferred): the executor marks the request executed before it runs, and its own check (with the
-- risk alert that names the swap) must be the one that refuses; a swap written later in the same transaction counts.
CREATE FUNCTION swap_cooling_request_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE r requests; problem text;
BEGIN
  SELECT * INTO r FROM requests WHERE id = NEW.id;
  IF r.status IS DISTINCT FROM 'executed' THEN RETURN NULL; END IF;
  problem := swap_cooling_problem(r.msisdn, r.executed_at);
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'request % (%) may not execute: %', r.id, r.kind, problem USING ERRCODE = 'NG040';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER swap_cooling_request_rule AFTER UPDATE OF status ON requests
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NEW.status = 'executed' AND OLD.status IS DISTINCT FROM 'executed'
        AND NEW.kind IN ('transfer', 'termination', 'kyc_change'))
  EXECUTE FUNCTION swap_cooling_request_rule();

CREATE FUNCTION swap_cooling_custody_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE problem text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    problem := swap_cooling_problem(NEW.msisdn, NEW.started_at);
    IF problem IS NOT NULL THEN
      RAISE EXCEPTION 'no custody by transfer of %: %', NEW.msisdn, problem USING ERRCODE = 'NG040';
    END IF;
  ELSE
    problem := swap_cooling_problem(NEW.msisdn, NEW.ended_at);
    IF problem IS NOT NULL THEN
      RAISE EXCEPTION 'custody % may not end by termination: %', NEW.id, problem USING ERRCODE = 'NG040';
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER swap_cooling_transfer_custody BEFORE INSERT ON custodies FOR EACH ROW
  WHEN (NEW.basis = 'transfer') EXECUTE FUNCTION swap_cooling_custody_rule();
CREATE TRIGGER swap_cooling_termination BEFORE UPDATE OF end_reason ON custodies FOR EACH ROW
  WHEN (NEW.end_reason = 'termination' AND OLD.end_reason IS NULL) EXECUTE FUNCTION swap_cooling_custody_rule();

CREATE FUNCTION swap_cooling_kyc_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT AS $$
DECLARE held text; problem text;
BEGIN
  IF NEW.kyc_changed_at IS NULL OR NEW.kyc_changed_at IS NOT DISTINCT FROM OLD.kyc_changed_at THEN
    RAISE EXCEPTION 'a KYC change of subscriber % says when it happened (kyc_changed_at)', NEW.id USING ERRCODE = 'NG040';
  END IF;
  FOR held IN SELECT c.msisdn FROM custodies c WHERE c.subscriber_id = NEW.id AND c.ended_at IS NULL LOOP
    problem := swap_cooling_problem(held, NEW.kyc_changed_at);
    IF problem IS NOT NULL THEN
      RAISE EXCEPTION 'no KYC change of subscriber %: %', NEW.id, problem USING ERRCODE = 'NG040';
    END IF;
  END LOOP;
  RETURN NEW;
END $$;
CREATE TRIGGER swap_cooling_kyc_change BEFORE UPDATE OF kyc_doc_kind, kyc_doc_hash, kyc_doc_last4, name ON subscribers
  FOR EACH ROW
  WHEN ((NEW.kyc_doc_kind, NEW.kyc_doc_hash, NEW.kyc_doc_last4, NEW.name)
        IS DISTINCT FROM (OLD.kyc_doc_kind, OLD.kyc_doc_hash, OLD.kyc_doc_last4, OLD.name))
  EXECUTE FUNCTION swap_cooling_kyc_rule();
