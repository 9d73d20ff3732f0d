-- 0012_holds: money promised is not spendable twice (DESIGN §13). Holds
-- belong to kolo-ledger. A hold counts against the group's available
-- balance (balance - held) while it is `held` and not past expires_at; it
-- ends released (by its owner, or by the sweeper once expired) or captured
-- (its DEBIT written in the same statement). Every function locks the
-- group's balance row first, like a posting, and bounds that wait.
CREATE TABLE public.ledger_hold (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  group_id uuid NOT NULL REFERENCES public."group"(id),
  reference text NOT NULL UNIQUE,
  amount_kobo bigint NOT NULL CHECK (amount_kobo > 0),
  status text NOT NULL DEFAULT 'held'
    CHECK (status = ANY (ARRAY['held', 'released', 'captured'])),
  expires_at timestamp with time zone,  -- NULL: until captured or released
  entry_id uuid REFERENCES public.ledger_entry(id),  -- the capture's DEBIT
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  closed_at timestamp with time zone,
  closed_reason text,  -- released, expired, captured
  CHECK ((status = 'captured') = (entry_id IS NOT NULL)),
  CHECK ((status = 'held') = (closed_at IS NULL))
);
CREATE INDEX ledger_hold_live_idx ON public.ledger_hold (group_id) WHERE status = 'held';
CREATE INDEX ledger_hold_expiry_idx ON public.ledger_hold (expires_at) WHERE status = 'held';
GRANT SELECT, INSERT, UPDATE ON public.ledger_hold TO kolo_ledger;

-- What the group's live holds promise now (the caller holds the group's lock
-- when the answer must stay true). Expiry is judged by the clock when asked
-- (clock_timestamp), not when the transaction began: a call that waited for
-- the lock must not see a hold as live that a later one saw expired.
CREATE FUNCTION public.ledger_held(p_group uuid) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT coalesce(sum(amount_kobo), 0)::bigint FROM public.ledger_hold
   WHERE group_id = p_group AND status = 'held'
     AND (expires_at IS NULL OR expires_at > clock_timestamp())
$$;

-- PlaceHold: a live hold of the same reference (same group and amount: the
-- caller compares) is returned with its expiry moved to p_expires (a hold's
-- expiry follows its withdrawal's); a closed one is returned as it is (an
-- expired one is closed first, on record). A new
-- one is written only when the available balance covers it; no row: refused.
CREATE FUNCTION public.ledger_place_hold(p_group uuid, p_amount bigint, p_reference text,
                                         p_expires timestamp with time zone,
                                         p_lock_wait_ms integer)
RETURNS SETOF public.ledger_hold
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  bal bigint;
  h public.ledger_hold;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_wait_ms::text, true);
  SELECT balance_kobo INTO bal FROM public.ledger_balance
   WHERE group_id = p_group FOR UPDATE;
  SELECT * INTO h FROM public.ledger_hold WHERE reference = p_reference;
  IF FOUND THEN
    IF h.status = 'held' AND h.expires_at <= clock_timestamp() THEN
      UPDATE public.ledger_hold SET status = 'released', closed_at = now(),
             closed_reason = 'expired'
       WHERE id = h.id RETURNING * INTO h;
    ELSIF h.status = 'held' AND h.group_id = p_group AND h.amount_kobo = p_amount THEN
      UPDATE public.ledger_hold SET expires_at = p_expires WHERE id = h.id RETURNING * INTO h;
    END IF;
    RETURN NEXT h;
    RETURN;
  END IF;
  IF bal IS NULL OR bal - public.ledger_held(p_group) < p_amount THEN
    RETURN;
  END IF;
  RETURN QUERY
    INSERT INTO public.ledger_hold (group_id, reference, amount_kobo, expires_at)
    VALUES (p_group, p_reference, p_amount, p_expires) RETURNING *;
END
$$;

-- ReleaseHold: a live hold ends released (an expired one: expired); a closed
-- one is returned as it is. No row: no such hold.
CREATE FUNCTION public.ledger_release_hold(p_reference text, p_lock_wait_ms integer)
RETURNS SETOF public.ledger_hold
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  h public.ledger_hold;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_wait_ms::text, true);
  SELECT * INTO h FROM public.ledger_hold WHERE reference = p_reference;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  PERFORM 1 FROM public.ledger_balance WHERE group_id = h.group_id FOR UPDATE;
  RETURN QUERY
    UPDATE public.ledger_hold
       SET status = 'released', closed_at = now(),
           closed_reason = CASE WHEN expires_at <= clock_timestamp() THEN 'expired'
                                ELSE 'released' END
     WHERE id = h.id AND status = 'held' RETURNING *;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM public.ledger_hold WHERE id = h.id;
  END IF;
END
$$;

-- CaptureHold: a live hold becomes its DEBIT (reference p_entry_reference),
-- in one statement; the hold already promised the money, so the balance
-- covers it. The caller names the hold's group and amount (checked by the
-- caller against the row returned). Returns the entry; no row when the entry
-- reference already has an outcome (the caller reads which), or when there
-- is no live hold of that reference (never placed, released, expired): then
-- the entry reference is refused for ever (ledger_refusal), like a debit the
-- balance refused, so a capture asked again later cannot debit.
CREATE FUNCTION public.ledger_capture_hold(p_reference text, p_group uuid, p_amount bigint,
                                           p_account uuid, p_source text,
                                           p_entry_reference text, p_simulated boolean,
                                           p_channel text, p_lock_wait_ms integer)
RETURNS SETOF public.ledger_entry
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  h public.ledger_hold;
  bal bigint;
  e public.ledger_entry;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_wait_ms::text, true);
  SELECT balance_kobo INTO bal FROM public.ledger_balance
   WHERE group_id = p_group FOR UPDATE;
  IF EXISTS (SELECT 1 FROM public.ledger_entry WHERE reference = p_entry_reference)
     OR EXISTS (SELECT 1 FROM public.ledger_refusal WHERE reference = p_entry_reference) THEN
    RETURN;
  END IF;
  SELECT * INTO h FROM public.ledger_hold WHERE reference = p_reference;
  IF NOT FOUND OR h.group_id <> p_group OR h.amount_kobo <> p_amount
     OR h.status <> 'held'
     OR (h.expires_at IS NOT NULL AND h.expires_at <= clock_timestamp())
     OR bal < h.amount_kobo THEN
    INSERT INTO public.ledger_refusal (reference, group_id, amount_kobo, balance_kobo)
    VALUES (p_entry_reference, p_group, p_amount, coalesce(bal, 0));
    RETURN;
  END IF;
  UPDATE public.ledger_balance
     SET balance_kobo = balance_kobo - h.amount_kobo,
         debits_kobo = debits_kobo + h.amount_kobo, entries = entries + 1, updated_at = now()
   WHERE group_id = h.group_id;
  INSERT INTO public.ledger_entry (group_id, account_id, type, amount_kobo, currency, source,
                                   reference, simulated, payment_channel)
  VALUES (h.group_id, p_account, 'DEBIT', h.amount_kobo, 'NGN', p_source, p_entry_reference,
          p_simulated, p_channel)
  RETURNING * INTO e;
  UPDATE public.ledger_hold
     SET status = 'captured', entry_id = e.id, closed_at = now(), closed_reason = 'captured'
   WHERE id = h.id;
  RETURN NEXT e;
END
$$;

-- The sweeper: holds past expires_at are released (closed_reason expired),
-- on record; they had already stopped counting.
CREATE FUNCTION public.ledger_sweep_holds(p_limit integer) RETURNS integer
LANGUAGE sql VOLATILE AS $$
  WITH due AS (
    SELECT id FROM public.ledger_hold
     WHERE status = 'held' AND expires_at <= clock_timestamp()
     ORDER BY expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED
  ), done AS (
    UPDATE public.ledger_hold h SET status = 'released', closed_at = now(),
           closed_reason = 'expired'
      FROM due WHERE h.id = due.id RETURNING 1
  )
  SELECT count(*)::integer FROM done
$$;

-- A DEBIT (PostEntry; a capture is ledger_capture_hold): the balance row is
-- locked first, so each statement after it (a fresh snapshot each, this
-- function being VOLATILE under READ COMMITTED) sees everything earlier lock
-- holders committed. It must fit in the available balance (balance - live
-- holds). Returns the new entry; no row when the reference or the
-- idempotency key already has an outcome (the caller reads which) or when it
-- is refused now (recorded in ledger_refusal, 0010).
CREATE FUNCTION public.ledger_post_debit(p_group uuid, p_account uuid, p_user uuid,
                                                    p_amount bigint, p_currency text,
                                                    p_source text, p_reference text,
                                                    p_client_ref text, p_simulated boolean,
                                                    p_channel text, p_lock_wait_ms integer)
RETURNS SETOF public.ledger_entry
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  bal bigint;
  held bigint;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_wait_ms::text, true);
  SELECT balance_kobo INTO bal FROM public.ledger_balance
   WHERE group_id = p_group FOR UPDATE;
  -- A reference or an idempotency key already answered: the caller reads how.
  IF EXISTS (SELECT 1 FROM public.ledger_entry WHERE reference = p_reference)
     OR EXISTS (SELECT 1 FROM public.ledger_refusal WHERE reference = p_reference)
     OR (p_client_ref IS NOT NULL
         AND EXISTS (SELECT 1 FROM public.ledger_entry WHERE client_ref = p_client_ref)) THEN
    RETURN;
  END IF;
  -- ledger_held, written out: a plain debit is the hot path
  SELECT coalesce(sum(amount_kobo), 0) INTO held FROM public.ledger_hold
   WHERE group_id = p_group AND status = 'held'
     AND (expires_at IS NULL OR expires_at > clock_timestamp());
  IF bal IS NULL OR bal - held < p_amount THEN
    INSERT INTO public.ledger_refusal (reference, group_id, amount_kobo, balance_kobo)
    VALUES (p_reference, p_group, p_amount, coalesce(bal - held, 0));
    RETURN;
  END IF;
  UPDATE public.ledger_balance
     SET balance_kobo = balance_kobo - p_amount, debits_kobo = debits_kobo + p_amount,
         entries = entries + 1, updated_at = now()
   WHERE group_id = p_group;
  RETURN QUERY
    INSERT INTO public.ledger_entry (group_id, account_id, user_id, type, amount_kobo,
                                     currency, source, reference, client_ref, simulated,
                                     payment_channel)
    VALUES (p_group, p_account, p_user, 'DEBIT', p_amount, p_currency, p_source,
            p_reference, p_client_ref, p_simulated, p_channel)
    RETURNING *;
END
$$;

REVOKE ALL ON FUNCTION public.ledger_held(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_place_hold(uuid, bigint, text, timestamp with time zone,
                                                integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_release_hold(text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_capture_hold(text, uuid, bigint, uuid, text, text,
                                                  boolean, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_sweep_holds(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_post_debit(uuid, uuid, uuid, bigint, text, text, text,
                                                text, boolean, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.ledger_held(uuid) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_place_hold(uuid, bigint, text,
                                                   timestamp with time zone, integer)
  TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_release_hold(text, integer) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_capture_hold(text, uuid, bigint, uuid, text, text,
                                                     boolean, text, integer) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_sweep_holds(integer) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_post_debit(uuid, uuid, uuid, bigint, text, text,
                                                   text, text, boolean, text, integer)
  TO kolo_ledger;
