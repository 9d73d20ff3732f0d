#!/usr/bin/env bash
# Fault injection: a fresh database on the test cluster (KOLO_TEST_PG), the
# fake Flutterwave, and the suite with payments on the flutterwave provider
# pointed at the fake; faults.py then kills, stops and restarts services,
# the provider and PostgreSQL itself, checking tests/fault/invariants.sql
# after every scenario. faults.py owns the service processes: every one it
# did not kill must exit 0 on SIGTERM at the end.
#   run_faults.sh SOURCE_DIR BUILD_DIR [SCENARIO...]   (a to n; default all)
# KOLO_FAULT_PROVIDER=paystack runs them against the fake Paystack instead
# (payments on the paystack provider; a to m by default: n, kolo-events
# under kills, does not depend on the provider and runs with flutterwave,
# or when named).
# The cluster is shared with the rest of the test run: it is stopped during
# one scenario, and this script starts it again (same folder, same port)
# whatever happens, so run it when nothing else uses the cluster.
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
: "${KOLO_TEST_PG:?KOLO_TEST_PG is not set: run through scripts/test}"

# Where the cluster lives, so it can be stopped and started again.
pg_data="$(_kolo_psql_admin -c 'SHOW data_directory')"
pg_dir="$(dirname "$pg_data")"
pg_port="$(_kolo_psql_admin -c 'SHOW port')"
pg_fsync="$(_kolo_psql_admin -c 'SHOW fsync')"
PGHOST="$(_kolo_psql_admin -c 'SHOW unix_socket_directories' | cut -d, -f1)"
PGPORT="$pg_port"
export PGHOST PGPORT

db="kolo_faults_$$_${RANDOM}"
run="$(mktemp -d /tmp/kolo-faults.XXXXXX)"
fake_pid=""
cleanup() {
	local rc=$? pid
	# What faults.py started and could not stop (it was killed itself).
	if [ -f "$run/pids" ]; then
		while read -r pid; do
			case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in
			"$build"/*) kill -KILL "$pid" 2>/dev/null || true ;;
			esac
		done <"$run/pids"
	fi
	# The cluster must be up again for whoever comes next.
	if ! _kolo_pg_as_owner "$pg_dir" "$KOLO_PG_BIN/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
		echo "faults: starting the test cluster again" >&2
		kolo_pg_start "$pg_dir" "$pg_port" "$pg_fsync" >/dev/null || rc=1
	fi
	if [ -n "$fake_pid" ]; then
		kill -TERM "$fake_pid" 2>/dev/null || true
		wait "$fake_pid" 2>/dev/null || true
	fi
	_kolo_psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	if [ "$rc" -ne 0 ]; then
		echo "faults: FAILED; the last lines of each log:" >&2
		for f in "$run"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $(basename "$f")" >&2
			tail -n 15 "$f" >&2
		done
	fi
	rm -rf "$run"
	exit "$rc"
}
trap cleanup EXIT

_kolo_psql_admin -c "CREATE DATABASE $db" >/dev/null
KOLO_DATABASE_URL="$(kolo_pg_url "$db")" \
	"$build/tools/migrate/kolo-migrate" --dir "$src/migrations" 2>/dev/null
kolo_suite_secrets "$run/secrets.env" "$build/tools/keygen/kolo-keygen"
# faults.py gives each process its own KOLO_INTERNAL_TOKEN (KOLO_<NAME>_TOKEN).
KOLO_CALLER_TOKEN_HASHES="$(kolo_suite_caller_hashes)"
export KOLO_CALLER_TOKEN_HASHES

# The fake provider and the services' configuration (shared with
# run_failover.sh).
. "$src/tests/fault/setup.sh"

KOLO_FAULT_DB="$(kolo_pg_url "$db")"
export KOLO_FAULT_BUILD="$build" KOLO_FAULT_RUN="$run" KOLO_FAULT_DB KOLO_FAULT_FAKE="http://127.0.0.1:$fake_port" \
	KOLO_FAULT_PG_DIR="$pg_dir" KOLO_FAULT_PG_PORT="$pg_port" KOLO_FAULT_PG_FSYNC="$pg_fsync" \
	KOLO_FAULT_SQL="$src/tests/fault/invariants.sql" KOLO_FAULT_PGLIB="$src/scripts/lib/pg.sh"
start="$(date +%s)"
shift 2
# A bound on the whole step: faults.py turns SIGTERM into a failure and
# still stops its processes; whatever is left is killed by cleanup.
timeout -k 10 300 /usr/bin/python3 "$src/tests/fault/faults.py" "$@"
echo "faults ($provider): every scenario passed in $(($(date +%s) - start)) s; every process stopped cleanly" >&2
