-- 0036_replica_as_of: how fresh a hot standby's data is, for replies read
-- from a replica (KOLO_<SERVICE>_READ_DATABASE_URL; DESIGN §18,
-- docs/decisions.md "Database past one machine: reads from a replica").
--
-- kolo_replica_as_of() is a time, on the primary's clock, that everything
-- the standby shows is at least as fresh as:
--   - not in recovery (the URL names a primary): now();
--   - streaming, and every byte the primary reported as written by its last
--     message (latest_end_lsn) is replayed: that message's send time (the
--     primary pings about every wal_receiver_timeout / 2 when idle, so an
--     idle primary does not make a caught-up standby look stale);
--   - otherwise (replay behind, paused, or not streaming): the commit time
--     of the last transaction replayed (pg_last_xact_replay_timestamp()),
--     which is older than any commit not yet replayed;
--   - NULL when the standby cannot tell yet (nothing replayed since start).
-- pg_stat_wal_receiver shows its columns only to superusers and members of
-- pg_read_all_stats, so the function runs as its owner (the migrator). A
-- migrator with neither sees NULL there and the function keeps to the
-- commit-time rule: conservative, never too fresh.
CREATE FUNCTION public.kolo_replica_as_of() RETURNS timestamptz
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN now()
    WHEN r.latest_end_lsn IS NOT NULL AND r.last_msg_send_time IS NOT NULL
         AND pg_last_wal_replay_lsn() >= r.latest_end_lsn
      THEN greatest(r.last_msg_send_time, pg_last_xact_replay_timestamp())
    ELSE pg_last_xact_replay_timestamp()
  END
  FROM (SELECT 1) AS one
  LEFT JOIN pg_stat_wal_receiver AS r ON r.status = 'streaming'
$$;

REVOKE ALL ON FUNCTION public.kolo_replica_as_of() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.kolo_replica_as_of()
  TO kolo_identity, kolo_groups, kolo_ledger, kolo_withdrawals, kolo_payments, kolo_events;
