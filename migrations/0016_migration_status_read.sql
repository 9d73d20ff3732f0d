-- 0016_migration_status_read: each service waits for the migrations with
-- its own role (k8s wait-for-migrations runs `kolo-migrate --status`), so
-- only the migration Job holds the owner's credential (CREATEROLE). The
-- services may read which migrations are applied, nothing more: no
-- INSERT, UPDATE or DELETE on schema_migrations.
--
-- kolo-migrate creates schema_migrations before it applies any file, so
-- the table exists here.
GRANT SELECT ON public.schema_migrations
  TO kolo_identity, kolo_groups, kolo_ledger, kolo_withdrawals, kolo_payments;
