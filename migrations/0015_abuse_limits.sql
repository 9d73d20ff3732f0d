-- 0015_abuse_limits: limits that must hold across replicas are counted in
-- PostgreSQL (issue 18, findings 3 and 4).

-- Payments: one fixed window per (kind, key), opened by its first hit and
-- reopened by the first hit after it ended. Kinds: resolve_user and
-- resolve_group (ResolveBankAccount), webhook_addr (deliveries whose
-- signature fails, per client address). The worker deletes ended windows.
CREATE TABLE public.payments_rate_window (
  kind text NOT NULL,
  key text NOT NULL,
  window_start timestamp with time zone NOT NULL,
  window_s integer NOT NULL CHECK (window_s > 0),
  hits integer NOT NULL CHECK (hits >= 0),
  PRIMARY KEY (kind, key)
);
CREATE INDEX payments_rate_window_end_idx ON public.payments_rate_window (window_start);
GRANT SELECT, INSERT, UPDATE, DELETE ON public.payments_rate_window TO kolo_payments;

-- Payments: a delivery whose signature fails keeps only what tells it
-- apart (its headers, a prefix, in raw_payload) and these, never its body.
ALTER TABLE public.webhook_event
  ADD COLUMN client_addr text,
  ADD COLUMN body_bytes integer,
  ADD COLUMN body_sha256 text;

-- Groups: CreateGroup counts the groups a user created in the last day.
CREATE INDEX group_created_by_idx ON public."group" (created_by, created_at);
