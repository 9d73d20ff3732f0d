-- 0002_roles: one login role per service, each granted only the tables it
-- owns (DESIGN §1). ledger_entry is INSERT and SELECT for kolo_ledger and
-- nothing else: the ledger is append-only.
--
-- Roles are cluster-wide while this file runs once per database, and a
-- cluster may hold several Kolo databases (tests make one per program), so
-- each role is created only when pg_roles lacks it, and a concurrent
-- creation from another database is tolerated.
--
-- No passwords here. Operators set them out of band, e.g.
--   ALTER ROLE kolo_ledger PASSWORD '...';
-- (from a secret store, never a committed file). The private clusters of
-- scripts/run and scripts/test use trust authentication on localhost.
--
-- The migrator must be able to create roles (a superuser, or CREATEROLE).

DO $$
DECLARE
  role_name text;
BEGIN
  FOREACH role_name IN ARRAY ARRAY['kolo_identity', 'kolo_groups',
                                   'kolo_ledger', 'kolo_withdrawals',
                                   'kolo_payments']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- another database's migration created it meanwhile
      END;
    END IF;
  END LOOP;
END
$$;

-- Nobody reads or writes a table by default; the schema itself is usable
-- but not writable (PostgreSQL 15 already revokes CREATE; older clusters
-- upgraded in place may not have).
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA public
  FROM kolo_identity, kolo_groups, kolo_ledger, kolo_withdrawals,
       kolo_payments;
GRANT USAGE ON SCHEMA public
  TO kolo_identity, kolo_groups, kolo_ledger, kolo_withdrawals, kolo_payments;

-- kolo-identity
GRANT SELECT, INSERT, UPDATE ON public."user" TO kolo_identity;
GRANT SELECT, INSERT ON public.user_activity_log TO kolo_identity;
GRANT SELECT, INSERT, UPDATE ON public.refresh_tokens TO kolo_identity;
GRANT SELECT, INSERT, UPDATE ON public.transaction_pins TO kolo_identity;

-- kolo-groups
GRANT SELECT, INSERT, UPDATE, DELETE ON public."group" TO kolo_groups;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.group_membership TO kolo_groups;

-- kolo-ledger: append-only, never UPDATE, DELETE or TRUNCATE.
GRANT SELECT, INSERT ON public.ledger_entry TO kolo_ledger;

-- kolo-withdrawals
GRANT SELECT, INSERT, UPDATE ON public.withdrawal_request TO kolo_withdrawals;
GRANT SELECT, INSERT ON public.approval TO kolo_withdrawals;

-- kolo-payments
GRANT SELECT, INSERT, UPDATE ON public.account TO kolo_payments;
GRANT SELECT, INSERT, UPDATE ON public.account_metadata TO kolo_payments;
GRANT SELECT, INSERT, UPDATE ON public.payout TO kolo_payments;
GRANT SELECT, INSERT, UPDATE ON public.payout_recovery TO kolo_payments;
GRANT SELECT, INSERT, UPDATE ON public.webhook_event TO kolo_payments;
GRANT SELECT, INSERT, UPDATE ON public.va_request TO kolo_payments;
GRANT SELECT, INSERT, UPDATE ON public.va_recovery TO kolo_payments;
