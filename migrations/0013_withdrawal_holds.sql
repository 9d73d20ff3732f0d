-- 0013_withdrawal_holds: a withdrawal's money is held from its request to
-- its payout (DESIGN §13; the ledger's holds are 0012).

-- Payments: the hold a payout attempt captures as its debit ("" for a
-- payout made before holds: it posts a plain DEBIT).
ALTER TABLE public.payout ADD COLUMN hold_reference text NOT NULL DEFAULT '';

-- Withdrawals: the hold of the current attempt while it may still be live
-- (NULL once released or captured), so a release a crash interrupted is
-- finished by the worker.
ALTER TABLE public.withdrawal_request ADD COLUMN hold_reference text;
CREATE INDEX withdrawal_request_open_hold_idx ON public.withdrawal_request (updated_at)
  WHERE hold_reference IS NOT NULL AND status IN ('DECLINED', 'CLOSED', 'PAYOUT_FAILED');
