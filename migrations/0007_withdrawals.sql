-- 0007_withdrawals: what kolo-withdrawals relies on.

-- One approval per officer per withdrawal.
CREATE UNIQUE INDEX approval_withdrawal_approver_key
  ON public.approval (withdrawal_id, approver_user_id);

-- The outcome of a request and of its payout, and the Idempotency-Key it
-- was made with (a user's key names one request).
ALTER TABLE public.withdrawal_request
  ADD COLUMN decline_reason text,
  ADD COLUMN declined_by uuid REFERENCES public."user"(id),
  ADD COLUMN client_ref text,
  ADD COLUMN approvals_required integer CHECK (approvals_required >= 1),
  ADD COLUMN payout_attempt integer NOT NULL DEFAULT 1 CHECK (payout_attempt >= 1),
  ADD COLUMN payout_id uuid,
  ADD COLUMN payout_status text
    CHECK (payout_status = ANY (ARRAY['PENDING', 'SUCCESS', 'FAILED'])),
  ADD COLUMN payout_failure text,
  ADD COLUMN updated_at timestamp with time zone NOT NULL DEFAULT now();
CREATE UNIQUE INDEX withdrawal_request_client_ref_key
  ON public.withdrawal_request (requested_by, client_ref) WHERE client_ref IS NOT NULL;
CREATE INDEX withdrawal_request_group_created_idx
  ON public.withdrawal_request (group_id, created_at DESC, id DESC);
-- The sweeper's and the payout poller's work.
CREATE INDEX withdrawal_request_pending_expiry_idx
  ON public.withdrawal_request (expires_at) WHERE status = 'PENDING';
CREATE INDEX withdrawal_request_approved_idx
  ON public.withdrawal_request (updated_at) WHERE status = 'APPROVED';
