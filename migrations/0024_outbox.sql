-- 0024_outbox: every service writes its events (DESIGN §16) in the same
-- transaction as the change they tell of, into its own outbox table.
--
-- kolo-events reads an outbox through the owner's ReadOutbox RPC (lowest
-- seq first), stores the events in its own tables, and then acks them
-- (AckOutbox), which deletes them here. A kill between the two makes
-- kolo-events read them again; it drops them by id. So a row here is an
-- event not yet safely stored by kolo-events, and the table stays small.
--
-- Order: a writer adds a group's event after it took the lock that orders
-- that group's changes (the group's row, the withdrawal's row), so two
-- events of one group commit in the order of their positions.
DO $$
DECLARE
  svc text;
BEGIN
  FOREACH svc IN ARRAY ARRAY['identity', 'groups', 'ledger', 'withdrawals',
                             'payments']
  LOOP
    EXECUTE format($f$
      CREATE TABLE public.%1$I (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        type text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
        group_id uuid,
        user_id uuid,
        actor_id uuid,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(data) = 'object')
      )$f$, svc || '_outbox');
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON public.%I TO %I',
                   svc || '_outbox', 'kolo_' || svc);
  END LOOP;
END
$$;
