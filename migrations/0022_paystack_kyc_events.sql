-- Paystack identity checks (DESIGN §14): payments reads a check's refusal
-- from the stored customeridentification.failed webhook, by the customer it
-- names. An index on exactly that, so the read-back does not scan every
-- delivery (deposits included). No new grant: payments already reads
-- webhook_event.
CREATE INDEX webhook_event_customer_failed_idx
  ON public.webhook_event ((raw_payload #>> '{data,customer_code}'), created_at)
  WHERE event_type = 'customeridentification.failed' AND provider = 'paystack';
