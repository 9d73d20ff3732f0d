#!/usr/bin/env bash
# Failover faults (DESIGN §18): two PostgreSQL clusters of its own, a
# primary and a synchronous streaming standby (scripts/lib/pg.sh), the fake
# Flutterwave, and the suite with every KOLO_<SERVICE>_DATABASE_URL (and
# kolo-migrate's) a multi-host URL over both clusters with
# target_session_attrs=read-write; failover.py then kills the primary under
# load and promotes the standby, and loses the standby and brings it back,
# with no service restarted.
#   run_failover.sh SOURCE_DIR BUILD_DIR [SCENARIO...]
#                                  (failover, standby; default both, in order)
# KOLO_FAILOVER_PG_PORT=P puts the clusters on ports P and P+1 (default:
# two free ports). Both clusters, the fake and every process started are
# stopped and removed whatever happens.
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
shift 2

pgroot="$(mktemp -d /tmp/kolo-fo.XXXXXX)"
chmod 755 "$pgroot"
run="$(mktemp -d /tmp/kolo-failover.XXXXXX)"
fake_pid=""
a="$pgroot/a"
b="$pgroot/b"
cleanup() {
	local rc=$? pid
	# What failover.py started and could not stop (it was killed itself).
	if [ -f "$run/pids" ]; then
		while read -r pid; do
			case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
			"$build"/*) kill -KILL "$pid" 2>/dev/null || true ;;
			esac
		done <"$run/pids"
	fi
	if [ -n "$fake_pid" ]; then
		kill -TERM "$fake_pid" 2>/dev/null || true
		wait "$fake_pid" 2>/dev/null || true
	fi
	kolo_pg_stop "$a" immediate >/dev/null 2>&1 || true
	kolo_pg_stop "$b" immediate >/dev/null 2>&1 || true
	if [ "$rc" -ne 0 ]; then
		echo "failover: FAILED; the last lines of each log:" >&2
		for f in "$run"/*.log "$a/log" "$b/log"; do
			[ -f "$f" ] || continue
			echo "--- $f" >&2
			tail -n 15 "$f" >&2
		done
	fi
	rm -rf "$run" "$pgroot"
	exit "$rc"
}
trap cleanup EXIT

if [ -n "${KOLO_FAILOVER_PG_PORT:-}" ]; then
	port_a="$KOLO_FAILOVER_PG_PORT"
	port_b="$((KOLO_FAILOVER_PG_PORT + 1))"
else
	port_a="$(_kolo_free_port)"
	port_b="$(_kolo_free_port)"
fi
# fsync off as in the rest of the tests: the faults kill PostgreSQL, never
# the machine, so what a commit wrote is in the page cache either way.
kolo_pg_start "$a" "$port_a" off >/dev/null
kolo_pg_start_standby "$a" "$port_a" "$b" "$port_b" kolo_standby off
# KOLO_FAILOVER_SYNC=off (a check of the check, never in scripts/test):
# an asynchronous standby, which may lose acknowledged commits.
if [ "${KOLO_FAILOVER_SYNC:-on}" = off ]; then
	echo "failover: an ASYNCHRONOUS standby (KOLO_FAILOVER_SYNC=off)" >&2
else
	kolo_pg_sync "$a" kolo_standby
fi
for _ in $(seq 1 100); do
	[ "${KOLO_FAILOVER_SYNC:-on}" = off ] && break
	[ "$(_kolo_pg_sql "$a" "SELECT count(*) FROM pg_stat_replication
		WHERE application_name = 'kolo_standby' AND sync_state = 'sync'")" = 1 ] && break
	sleep 0.1
done
[ "${KOLO_FAILOVER_SYNC:-on}" = off ] ||
	[ "$(_kolo_pg_sql "$a" "SELECT sync_state FROM pg_stat_replication")" = sync ] || {
	echo "failover: the standby is not synchronous" >&2
	exit 1
}

# Both hosts, the one that takes writes wins (DESIGN §18).
multi() {
	printf 'host=%s,%s port=%s,%s dbname=%s user=%s target_session_attrs=read-write connect_timeout=2\n' \
		"$a" "$b" "$port_a" "$port_b" "$1" "$2"
}
db=kolo_failover
_kolo_pg_sql "$a" "CREATE DATABASE $db" >/dev/null
KOLO_DATABASE_URL="$(multi "$db" postgres)" \
	"$build/tools/migrate/kolo-migrate" --dir "$src/migrations" 2>/dev/null
kolo_suite_secrets "$run/secrets.env" "$build/tools/keygen/kolo-keygen"
KOLO_CALLER_TOKEN_HASHES="$(kolo_suite_caller_hashes)"
export KOLO_CALLER_TOKEN_HASHES
export PGHOST="$a" PGPORT="$port_a"
. "$src/tests/fault/setup.sh"
for svc in "${KOLO_SERVICES[@]}"; do
	export "KOLO_$(_kolo_upper "$svc")_DATABASE_URL=$(multi "$db" "kolo_$svc")"
done
# The load makes many withdrawals of one officer: each resolves the
# beneficiary, which counts against the per-user and per-group limits.
export KOLO_RESOLVE_PER_USER=100000 KOLO_RESOLVE_PER_GROUP=100000

export KOLO_FAULT_BUILD="$build" KOLO_FAULT_RUN="$run" KOLO_FAULT_DB="$(multi "$db" postgres)" \
	KOLO_FAULT_FAKE="http://127.0.0.1:$fake_port" KOLO_FAULT_PGLIB="$src/scripts/lib/pg.sh" \
	KOLO_FAULT_SQL="$src/tests/fault/invariants.sql" \
	KOLO_FAILOVER_A="$a" KOLO_FAILOVER_B="$b" KOLO_FAILOVER_PORT_A="$port_a" \
	KOLO_FAILOVER_PORT_B="$port_b"
start="$(date +%s)"
# A bound on the whole step: failover.py turns SIGTERM into a failure and
# still stops its processes; whatever is left is killed by cleanup.
timeout -k 10 240 /usr/bin/python3 "$src/tests/fault/failover.py" "$@"
echo "failover: every scenario passed in $(($(date +%s) - start)) s; every process stopped cleanly" >&2
