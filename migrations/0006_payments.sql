-- 0006_payments: what kolo-payments relies on.

-- One virtual account per group, and one provisioning request per group
-- (its client_ref is the tx_ref deposits are matched by).
CREATE UNIQUE INDEX account_group_key ON public.account (group_id);
CREATE UNIQUE INDEX va_request_group_key ON public.va_request (group_id);
CREATE UNIQUE INDEX va_request_client_ref_key ON public.va_request (client_ref);
-- At most one recovery in progress per group.
CREATE UNIQUE INDEX va_recovery_pending_group_key ON public.va_recovery (group_id)
  WHERE status = 'pending';

-- Webhook events: what the processing worker needs to retry them.
ALTER TABLE public.webhook_event
  ADD COLUMN provider text,
  ADD COLUMN signature_valid boolean NOT NULL DEFAULT false,
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at timestamp with time zone,
  ADD COLUMN outcome text;
CREATE INDEX webhook_event_pending_idx ON public.webhook_event (next_attempt_at)
  WHERE processed = false AND signature_valid;

-- Payouts: one per withdrawal attempt, with the stage reached so a restart
-- resumes exactly where a crash stopped it.
ALTER TABLE public.payout
  ADD COLUMN group_id uuid REFERENCES public."group"(id),
  ADD COLUMN attempt integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  ADD COLUMN stage text NOT NULL DEFAULT 'created'
    CHECK (stage = ANY (ARRAY['created', 'debited', 'sent', 'settled', 'reversed'])),
  ADD COLUMN provider_reference text,
  ADD COLUMN failure_reason text,
  ADD COLUMN executed_at timestamp with time zone,
  ADD COLUMN updated_at timestamp with time zone NOT NULL DEFAULT now();
CREATE UNIQUE INDEX payout_withdrawal_attempt_key ON public.payout (withdrawal_id, attempt);
CREATE INDEX payout_unfinished_idx ON public.payout (updated_at)
  WHERE stage <> 'settled' AND stage <> 'reversed';
CREATE INDEX payout_group_created_idx ON public.payout (group_id, created_at DESC, id DESC);
