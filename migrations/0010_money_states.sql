-- 0010_money_states: payouts and withdrawals as state machines whose every
-- move is a compare-and-set (docs/decisions.md, "Money state machines"),
-- and a ledger whose answer to a reference never changes.

-- Ledger (kolo-ledger): a DEBIT the balance refused is remembered, so the
-- same reference posted again, by anyone, later, after any deposit, is
-- refused again. A reference has one outcome for ever: an entry or a
-- refusal, never both (invariants.sql checks it).
CREATE TABLE public.ledger_refusal (
  reference text PRIMARY KEY,
  group_id uuid NOT NULL REFERENCES public."group"(id),
  amount_kobo bigint NOT NULL CHECK (amount_kobo > 0),
  balance_kobo bigint NOT NULL,  -- what the group held when it was refused
  created_at timestamp with time zone NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON public.ledger_refusal TO kolo_ledger;

-- A posting is ONE statement (its own transaction: the group's balance row is
-- locked only while PostgreSQL runs it, never across a round trip) calling
-- one of two functions. Each first bounds how long it may wait
-- for the group's balance row (lock_timeout, local to the statement's
-- transaction: p_lock_wait_ms, the ledger's wait capped by the caller's
-- deadline; past it, SQLSTATE 55P03 and nothing written). The DEBIT's,
-- ledger_post_debit, needs the holds of 0012 and is written there.

-- A CREDIT, and with p_fee > 0 the DEBIT of the fee the provider kept
-- (reference p_fee_reference, the credit's other fields), together: the
-- credit's row first, then the fee's. A taken reference or client_ref
-- fails the statement (unique_violation) and writes nothing.
CREATE FUNCTION public.ledger_post_credit(p_group uuid, p_account uuid, p_user uuid,
                                          p_amount bigint, p_currency text, p_source text,
                                          p_reference text, p_client_ref text,
                                          p_simulated boolean, p_channel text,
                                          p_fee bigint, p_fee_reference text,
                                          p_lock_wait_ms integer)
RETURNS SETOF public.ledger_entry
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('lock_timeout', p_lock_wait_ms::text, true);
  INSERT INTO public.ledger_balance AS lb (group_id, balance_kobo, credits_kobo,
                                          debits_kobo, entries)
  VALUES (p_group, p_amount - p_fee, p_amount, p_fee, CASE WHEN p_fee > 0 THEN 2 ELSE 1 END)
  ON CONFLICT (group_id) DO UPDATE
     SET balance_kobo = lb.balance_kobo + EXCLUDED.balance_kobo,
         credits_kobo = lb.credits_kobo + EXCLUDED.credits_kobo,
         debits_kobo = lb.debits_kobo + EXCLUDED.debits_kobo,
         entries = lb.entries + EXCLUDED.entries, updated_at = now();
  RETURN QUERY
    INSERT INTO public.ledger_entry (group_id, account_id, user_id, type, amount_kobo,
                                     currency, source, reference, client_ref, simulated,
                                     payment_channel)
    VALUES (p_group, p_account, p_user, 'CREDIT', p_amount, p_currency, p_source,
            p_reference, p_client_ref, p_simulated, p_channel)
    RETURNING *;
  IF p_fee > 0 THEN
    RETURN QUERY
      INSERT INTO public.ledger_entry (group_id, account_id, user_id, type, amount_kobo,
                                       currency, source, reference, simulated,
                                       payment_channel)
      VALUES (p_group, p_account, p_user, 'DEBIT', p_fee, p_currency, p_source,
              p_fee_reference, p_simulated, p_channel)
      RETURNING *;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION public.ledger_post_credit(uuid, uuid, uuid, bigint, text, text, text,
                                                 text, boolean, text, bigint, text, integer)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.ledger_post_credit(uuid, uuid, uuid, bigint, text, text,
                                                    text, text, boolean, text, bigint, text,
                                                    integer)
  TO kolo_ledger;

-- Payments (kolo-payments): a payout's money steps are claimed before they
-- are made ('debiting', 'reversing'), and every move checks the version it
-- read, so a stale copy moves nothing.
ALTER TABLE public.payout DROP CONSTRAINT payout_stage_check;
ALTER TABLE public.payout
  ADD CONSTRAINT payout_stage_check CHECK (stage = ANY (ARRAY['created', 'debiting',
    'debited', 'sent', 'settled', 'reversing', 'reversed'])),
  ADD COLUMN version integer NOT NULL DEFAULT 0;

-- Withdrawals (kolo-withdrawals): a request whose payout failed waits in
-- PAYOUT_FAILED (its money back) for a retry or to be closed; CLOSED is the
-- end of one that was not paid after approval. Asking payments backs off.
ALTER TABLE public.withdrawal_request DROP CONSTRAINT withdrawal_request_status_check;
ALTER TABLE public.withdrawal_request
  ADD CONSTRAINT withdrawal_request_status_check CHECK (status = ANY (ARRAY['PENDING',
    'APPROVED', 'DECLINED', 'PAID', 'PAYOUT_FAILED', 'CLOSED'])),
  ADD COLUMN payout_tries integer NOT NULL DEFAULT 0,
  ADD COLUMN next_payout_at timestamp with time zone,
  -- when it became APPROVED (last): approval tiers look 24 hours back
  ADD COLUMN approved_at timestamp with time zone;
UPDATE public.withdrawal_request SET approved_at = updated_at
 WHERE status IN ('APPROVED', 'PAID');
CREATE INDEX withdrawal_request_group_approved_idx
  ON public.withdrawal_request (group_id, approved_at) WHERE approved_at IS NOT NULL;
DROP INDEX public.withdrawal_request_approved_idx;
CREATE INDEX withdrawal_request_approved_idx
  ON public.withdrawal_request (next_payout_at) WHERE status = 'APPROVED';
CREATE INDEX withdrawal_request_payout_failed_expiry_idx
  ON public.withdrawal_request (expires_at) WHERE status = 'PAYOUT_FAILED';
-- A request left APPROVED with a failed payout by the code before this
-- migration is one whose payout failed: it now waits in its own state.
UPDATE public.withdrawal_request
   SET status = 'PAYOUT_FAILED',
       expires_at = (now() + interval '72 hours') AT TIME ZONE 'UTC', updated_at = now()
 WHERE status = 'APPROVED' AND payout_status = 'FAILED';
