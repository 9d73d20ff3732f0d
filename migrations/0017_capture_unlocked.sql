-- 0017_capture_unlocked: a capture no longer waits for its group's row
-- (DESIGN §13; issue 17's benchmark). A hold that cannot expire (expires_at
-- NULL: an approved withdrawal's) counts against the available balance until
-- it ends, and capturing it changes nothing available: the money was
-- already promised. So a capture of such a hold locks only the hold's own
-- row, writes its DEBIT and marks the hold captured, "not folded": the
-- group's ledger_balance row still carries the amount. A captured hold not
-- yet folded counts like a live one wherever the row is read:
--   posted balance = balance_kobo - unfolded captures
--   available      = balance_kobo - unfolded captures - live holds
-- Whoever holds the group's lock once 32 of them wait (a debit or a hold;
-- ledger_fold_due), or the ledger's worker for a quiet group, folds them:
-- subtracts them from the row and marks them folded, in one statement.
-- Folding in batches keeps a hold what it was before captures moved out
-- from under the lock: a lock and an insert, no update of the hot row. A
-- hold that can expire is still captured under the group's lock: a debit
-- that judged it expired must not be followed by its capture.
ALTER TABLE public.ledger_hold ADD COLUMN folded_at timestamp with time zone;
UPDATE public.ledger_hold SET folded_at = closed_at WHERE status = 'captured';
ALTER TABLE public.ledger_hold
  ADD CONSTRAINT ledger_hold_folded_check CHECK (folded_at IS NULL OR status = 'captured');
DROP INDEX public.ledger_hold_live_idx;
-- What counts against a group: live holds and captures not folded yet.
CREATE INDEX ledger_hold_open_idx ON public.ledger_hold (group_id)
  WHERE status = 'held' OR (status = 'captured' AND folded_at IS NULL);

-- The group's open holds: what live holds promise now (expiry judged by
-- the clock when asked) and what captures have taken that its balance row
-- does not show yet.
CREATE FUNCTION public.ledger_open_holds(p_group uuid, OUT live bigint, OUT unfolded bigint,
                                         OUT unfolded_n integer)
LANGUAGE sql VOLATILE AS $$
  SELECT coalesce(sum(amount_kobo) FILTER (
           WHERE status = 'held' AND (expires_at IS NULL OR expires_at > clock_timestamp())), 0)::bigint,
         coalesce(sum(amount_kobo) FILTER (WHERE status = 'captured'), 0)::bigint,
         (count(*) FILTER (WHERE status = 'captured'))::integer
    FROM public.ledger_hold
   WHERE group_id = p_group AND (status = 'held' OR (status = 'captured' AND folded_at IS NULL))
$$;

-- ledger_held (0012) keeps its meaning: live holds only.
CREATE OR REPLACE FUNCTION public.ledger_held(p_group uuid) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT live FROM public.ledger_open_holds(p_group)
$$;

-- The group's posted balance: its row less the captures not folded into it.
CREATE FUNCTION public.ledger_posted(p_group uuid) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT b.balance_kobo - o.unfolded
    FROM public.ledger_balance b, public.ledger_open_holds(p_group) o
   WHERE b.group_id = p_group
$$;

-- When a holder of the group's lock folds: once this many captures wait
-- (the sum of open holds every debit and hold reads stays short).
CREATE FUNCTION public.ledger_fold_due(p_unfolded_n integer) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT p_unfolded_n >= 32 $$;

-- Fold the group's captured holds into its balance row. The caller holds
-- the row's lock (folds never run side by side); a capture still in
-- flight is not seen (its row is still 'held' to this statement) and is
-- folded by a later one. Returns how many were folded.
CREATE FUNCTION public.ledger_fold_locked(p_group uuid) RETURNS integer
LANGUAGE sql VOLATILE AS $$
  WITH f AS (
    UPDATE public.ledger_hold SET folded_at = clock_timestamp()
     WHERE group_id = p_group AND status = 'captured' AND folded_at IS NULL
    RETURNING amount_kobo
  ), s AS (
    SELECT coalesce(sum(amount_kobo), 0)::bigint AS kobo, count(*)::integer AS n FROM f
  ), u AS (
    UPDATE public.ledger_balance
       SET balance_kobo = balance_kobo - s.kobo, debits_kobo = debits_kobo + s.kobo,
           entries = entries + s.n, updated_at = now()
      FROM s WHERE group_id = p_group AND s.n > 0
    RETURNING 1
  )
  SELECT n FROM s
$$;

-- The worker's pass: groups with captures to fold whose row is free now
-- (a busy group is folded by its own next posting).
CREATE FUNCTION public.ledger_fold_captures(p_limit integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  g uuid;
  n integer := 0;
BEGIN
  FOR g IN
    SELECT b.group_id FROM public.ledger_balance b
     WHERE b.group_id IN (SELECT DISTINCT group_id FROM public.ledger_hold
                           WHERE status = 'captured' AND folded_at IS NULL LIMIT p_limit)
       FOR UPDATE SKIP LOCKED
  LOOP
    n := n + public.ledger_fold_locked(g);
  END LOOP;
  RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION public.ledger_place_hold(p_group uuid, p_amount bigint,
                                                   p_reference text,
                                                   p_expires timestamp with time zone,
                                                   p_lock_wait_ms integer)
RETURNS SETOF public.ledger_hold
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  bal bigint;
  live bigint;
  unfolded bigint;
  unfolded_n integer;
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
  -- ledger_open_holds, written out: a hold is on the hot path too
  SELECT coalesce(sum(amount_kobo) FILTER (
           WHERE status = 'held' AND (expires_at IS NULL OR expires_at > clock_timestamp())), 0),
         coalesce(sum(amount_kobo) FILTER (WHERE status = 'captured'), 0),
         count(*) FILTER (WHERE status = 'captured')
    INTO live, unfolded, unfolded_n
    FROM public.ledger_hold
   WHERE group_id = p_group AND (status = 'held' OR (status = 'captured' AND folded_at IS NULL));
  IF public.ledger_fold_due(unfolded_n) THEN
    PERFORM public.ledger_fold_locked(p_group);
  END IF;
  IF bal IS NULL OR bal - unfolded - live < p_amount THEN
    RETURN;
  END IF;
  RETURN QUERY
    INSERT INTO public.ledger_hold (group_id, reference, amount_kobo, expires_at)
    VALUES (p_group, p_reference, p_amount, p_expires) RETURNING *;
END
$$;

-- CaptureHold (0012's contract): the hold's own row is locked first; a
-- hold that cannot expire is captured without the group's lock (its money
-- is promised until it ends, so nobody else can spend it), one that can is
-- captured under it, as before.
CREATE OR REPLACE FUNCTION public.ledger_capture_hold(p_reference text, p_group uuid,
                                                      p_amount bigint, p_account uuid,
                                                      p_source text, p_entry_reference text,
                                                      p_simulated boolean, p_channel text,
                                                      p_lock_wait_ms integer)
RETURNS SETOF public.ledger_entry
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  h public.ledger_hold;
  e public.ledger_entry;
  group_locked boolean;
  found_hold boolean;
BEGIN
  PERFORM set_config('lock_timeout', p_lock_wait_ms::text, true);
  SELECT * INTO h FROM public.ledger_hold WHERE reference = p_reference;
  group_locked := FOUND AND h.status = 'held' AND h.expires_at IS NOT NULL;
  IF group_locked THEN
    PERFORM 1 FROM public.ledger_balance WHERE group_id = h.group_id FOR UPDATE;
  END IF;
  SELECT * INTO h FROM public.ledger_hold WHERE reference = p_reference FOR UPDATE;
  found_hold := FOUND;
  IF found_hold AND h.status = 'held' AND h.expires_at IS NOT NULL AND NOT group_locked THEN
    -- given an expiry since it was read (rare): the group's lock after all
    PERFORM 1 FROM public.ledger_balance WHERE group_id = h.group_id FOR UPDATE;
  END IF;
  IF EXISTS (SELECT 1 FROM public.ledger_entry WHERE reference = p_entry_reference)
     OR EXISTS (SELECT 1 FROM public.ledger_refusal WHERE reference = p_entry_reference) THEN
    RETURN;
  END IF;
  IF NOT found_hold OR h.group_id <> p_group OR h.amount_kobo <> p_amount
     OR h.status <> 'held'
     OR (h.expires_at IS NOT NULL AND h.expires_at <= clock_timestamp()) THEN
    INSERT INTO public.ledger_refusal (reference, group_id, amount_kobo, balance_kobo)
    VALUES (p_entry_reference, p_group, p_amount,
            coalesce(public.ledger_posted(p_group), 0))
    ON CONFLICT (reference) DO NOTHING;
    RETURN;
  END IF;
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

CREATE OR REPLACE FUNCTION public.ledger_post_debit(p_group uuid, p_account uuid, p_user uuid,
                                                    p_amount bigint, p_currency text,
                                                    p_source text, p_reference text,
                                                    p_client_ref text, p_simulated boolean,
                                                    p_channel text, p_lock_wait_ms integer)
RETURNS SETOF public.ledger_entry
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  bal bigint;
  live bigint;
  unfolded bigint;
  unfolded_n integer;
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
  -- ledger_open_holds, written out: a plain debit is the hot path
  SELECT coalesce(sum(amount_kobo) FILTER (
           WHERE status = 'held' AND (expires_at IS NULL OR expires_at > clock_timestamp())), 0),
         coalesce(sum(amount_kobo) FILTER (WHERE status = 'captured'), 0),
         count(*) FILTER (WHERE status = 'captured')
    INTO live, unfolded, unfolded_n
    FROM public.ledger_hold
   WHERE group_id = p_group AND (status = 'held' OR (status = 'captured' AND folded_at IS NULL));
  IF bal IS NULL OR bal - unfolded - live < p_amount THEN
    INSERT INTO public.ledger_refusal (reference, group_id, amount_kobo, balance_kobo)
    VALUES (p_reference, p_group, p_amount, coalesce(bal - unfolded - live, 0));
    RETURN;
  END IF;
  IF public.ledger_fold_due(unfolded_n) THEN
    PERFORM public.ledger_fold_locked(p_group);
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

REVOKE ALL ON FUNCTION public.ledger_open_holds(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_posted(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_fold_locked(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_fold_due(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION public.ledger_fold_captures(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.ledger_open_holds(uuid) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_posted(uuid) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_fold_locked(uuid) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_fold_due(integer) TO kolo_ledger;
GRANT EXECUTE ON FUNCTION public.ledger_fold_captures(integer) TO kolo_ledger;
