-- 0027_webhooks: partner webhooks of kolo-events (DESIGN §16). Officers
-- register endpoints per group; every partner-visible event of the group
-- of a chosen type becomes one delivery per endpoint, signed and sent in
-- the group's event order, retried with backoff for 3 days and then dead
-- (re-sendable). An endpoint failing for a day is paused and the group's
-- officers are told (a webhook.paused event of kolo-events' own).

-- secret_sealed: the signing secret sealed with libsodium's
-- secretbox (XSalsa20-Poly1305) under KOLO_WEBHOOK_SECRET_KEY, nonce first.
-- events: catalogue types a partner may see, or '*' for all of them.
-- after_seq: the group's last event number already turned into
-- deliveries for this endpoint (events_event.group_seq); an endpoint gets
-- the events stored after it was created.
-- failing_since: the first failed attempt since the last 2xx (NULL: not
-- failing).
CREATE TABLE public.webhook_endpoint (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  group_id uuid NOT NULL,
  url text NOT NULL CHECK (length(url) BETWEEN 9 AND 2048),
  secret_sealed bytea NOT NULL,
  events text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 64),
  status text NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'paused', 'deleted')),
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  after_seq bigint NOT NULL DEFAULT 0,
  failing_since timestamptz,
  paused_at timestamptz,
  deleted_at timestamptz
);
CREATE INDEX webhook_endpoint_group ON public.webhook_endpoint (group_id, created_at, id)
  WHERE status <> 'deleted';

-- One event to one endpoint, at most once. group_seq orders an endpoint's
-- deliveries: one is sent only when no earlier one of its endpoint is
-- pending. first_attempt_at starts the 3-day window (a redelivery starts
-- a new one). lease_until: a worker took it until then.
CREATE TABLE public.webhook_delivery (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id uuid NOT NULL REFERENCES public.webhook_endpoint (id),
  event_id uuid NOT NULL REFERENCES public.events_event (id),
  group_seq bigint NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  first_attempt_at timestamptz,
  lease_until timestamptz,
  last_attempt_at timestamptz,
  last_status_code integer,
  last_error text,
  last_response text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_delivery_order ON public.webhook_delivery (endpoint_id, group_seq)
  WHERE status = 'pending';
CREATE INDEX webhook_delivery_due ON public.webhook_delivery (next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX webhook_delivery_list ON public.webhook_delivery (endpoint_id, created_at DESC, id);

GRANT SELECT, INSERT, UPDATE ON public.webhook_endpoint TO kolo_events;
GRANT SELECT, INSERT, UPDATE ON public.webhook_delivery TO kolo_events;
