-- 0030_idempotency: idempotency keys of creates (docs/decisions.md,
-- "Idempotency keys"; shared/idem).
--
-- A create called with a request_id (REST: Idempotency-Key) stores the key,
-- the hash of its request without the key, and its reply (the packed
-- protobuf message) in the transaction of the create. A retry with the key
-- and the same request gets the stored reply and changes nothing; with
-- another request, ALREADY_EXISTS `request_id_reused`. A key is scoped to
-- the service (its table), the method (the request message's name) and the
-- caller (user id, "internal:<process>", or "anonymous"). Rows older than
-- 24 h are dead: a claim replaces such a row and deletes a few others.
DO $$
DECLARE
  svc text;
BEGIN
  FOREACH svc IN ARRAY ARRAY['identity', 'groups', 'events']
  LOOP
    EXECUTE format($f$
      CREATE TABLE public.%1$I (
        method text NOT NULL,
        caller text NOT NULL,
        request_id text NOT NULL
          CHECK (request_id ~ '^[\x20-\x7e]{1,128}$'),
        request_hash text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
        response bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (method, caller, request_id)
      )$f$, svc || '_idempotency');
    EXECUTE format('CREATE INDEX %I ON public.%I (created_at)',
                   svc || '_idempotency_created_at', svc || '_idempotency');
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO %I',
                   svc || '_idempotency', 'kolo_' || svc);
  END LOOP;
END
$$;
