-- 0009_demo_transfer: the demo provider's "bank" keeps its transfers here
-- (it kept them in memory: a restart forgot a pending transfer, and the
-- payout worker then sent it a second time). One row per reference (our
-- payout id, the provider's idempotency key): asking again with the same
-- reference finds the row, never makes a second. It belongs to kolo-payments.
CREATE TABLE public.demo_transfer (
  reference text PRIMARY KEY CHECK (length(reference) BETWEEN 1 AND 128),
  amount_kobo bigint NOT NULL CHECK (amount_kobo > 0),
  status text NOT NULL CHECK (status = ANY (ARRAY['PENDING', 'SUCCESS', 'FAILED'])),
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  settled_at timestamp with time zone
);
GRANT SELECT, INSERT, UPDATE ON public.demo_transfer TO kolo_payments;

-- Transfers the demo bank saw before this table existed: every demo payout
-- that reached it (it answered with a provider reference), as it stands.
INSERT INTO public.demo_transfer (reference, amount_kobo, status, settled_at)
SELECT id::text, amount_kobo, status,
       CASE WHEN status = 'PENDING' THEN NULL ELSE coalesce(executed_at, now()) END
  FROM public.payout
 WHERE provider = 'demo' AND provider_reference IS NOT NULL
ON CONFLICT (reference) DO NOTHING;
