-- 0026_events: kolo-events, the sixth process (DESIGN §16). It reads the
-- services' outboxes through their ReadOutbox RPCs (never their tables),
-- stores each event once here, fans it out to the people concerned and
-- delivers it by email and SMS. Its role kolo_events is granted only these
-- tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kolo_events') THEN
    BEGIN
      CREATE ROLE kolo_events LOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database's migration created it meanwhile
    END;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO kolo_events;

-- Every event stored, once (id is the outbox's id). group_seq numbers a
-- group's events in the order they were stored: streams go by it.
-- fanned_out: recipients were worked out (events_delivery has them).
CREATE TABLE public.events_event (
  id uuid PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('identity', 'groups', 'ledger',
                                         'withdrawals', 'payments', 'events')),
  type text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  group_id uuid,
  user_id uuid,
  actor_id uuid,
  occurred_at timestamptz NOT NULL,
  data jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
  group_seq bigint,
  stored_at timestamptz NOT NULL DEFAULT now(),
  fanned_out boolean NOT NULL DEFAULT false,
  CHECK ((group_id IS NULL) = (group_seq IS NULL))
);
CREATE UNIQUE INDEX events_event_group_seq ON public.events_event (group_id, group_seq);
CREATE INDEX events_event_unfanned ON public.events_event (stored_at)
  WHERE NOT fanned_out;

-- The last number given to a group's event (its row orders two storers).
CREATE TABLE public.events_group_seq (
  group_id uuid PRIMARY KEY,
  last_seq bigint NOT NULL
);

-- What a member chose to be told of (types of shared/events), per channel.
CREATE TABLE public.events_preference (
  user_id uuid NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  type text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
  PRIMARY KEY (user_id, channel, type)
);

-- One message: an event to one recipient over one channel, at most once
-- (a re-ingested or re-fanned event makes no second row). Workers claim due
-- PENDING rows with a lease (FOR UPDATE SKIP LOCKED), send, mark SENT; a
-- failure waits next_at (backing off), and after the last attempt is DEAD.
CREATE TABLE public.events_delivery (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES public.events_event (id),
  user_id uuid NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  address text NOT NULL,
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'DEAD')),
  attempts integer NOT NULL DEFAULT 0,
  next_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  last_error text,
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, user_id, channel)
);
CREATE INDEX events_delivery_due ON public.events_delivery (next_at)
  WHERE status = 'PENDING';

-- The SMS rate budget shared by every replica's workers (a token bucket).
CREATE TABLE public.events_sms_bucket (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  tokens double precision NOT NULL,
  refilled_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON public.events_event TO kolo_events;
GRANT SELECT, INSERT, UPDATE ON public.events_group_seq TO kolo_events;
GRANT SELECT, INSERT, DELETE ON public.events_preference TO kolo_events;
GRANT SELECT, INSERT, UPDATE ON public.events_delivery TO kolo_events;
GRANT SELECT, INSERT, UPDATE ON public.events_sms_bucket TO kolo_events;

-- Its pods wait for the migrations as this role (0016).
GRANT SELECT ON public.schema_migrations TO kolo_events;
