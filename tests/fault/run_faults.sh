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

# The fake provider, on a free port it picks itself.
provider="${KOLO_FAULT_PROVIDER:-flutterwave}"
case "$provider" in
flutterwave)
	fake_script="$src/tests/fake_flutterwave/fake_flutterwave.py"
	provider_key="FLWSECK_TEST-faults-$RANDOM$RANDOM"
	;;
paystack)
	fake_script="$src/tests/fake_paystack/fake_paystack.py"
	provider_key="sk_test_faults_$RANDOM$RANDOM"
	;;
*)
	echo "faults: KOLO_FAULT_PROVIDER must be flutterwave or paystack" >&2
	exit 2
	;;
esac
/usr/bin/python3 "$fake_script" --port 0 \
	--secret-key "$provider_key" >"$run/fake.out" 2>"$run/fake.log" &
fake_pid=$!
for _ in $(seq 1 100); do
	grep -q '^listening ' "$run/fake.out" 2>/dev/null && break
	sleep 0.1
done
fake_port="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$run/fake.out")"
[ -n "$fake_port" ] || {
	echo "faults: the fake $provider did not start" >&2
	exit 1
}

export KOLO_PWHASH_PROFILE=test
for svc in "${KOLO_SERVICES[@]}"; do
	export "KOLO_$(_kolo_upper "$svc")_ADDR=127.0.0.1:$(_kolo_free_port)"
	export "KOLO_$(_kolo_upper "$svc")_DATABASE_URL=$(kolo_pg_url "$db" "kolo_$svc")"
done
KOLO_GATEWAY_ADDR="127.0.0.1:$(_kolo_free_port)"
export KOLO_GATEWAY_ADDR
if [ "$provider" = paystack ]; then
	export KOLO_PROVIDER=paystack KOLO_PAYSTACK_BASE_URL="http://127.0.0.1:$fake_port" \
		KOLO_PAYSTACK_SECRET_KEY="$provider_key" KOLO_PAYSTACK_TIMEOUT_MS=2000 \
		KOLO_PAYSTACK_ACCOUNT_EMAIL=faults@kolo.example
else
	export KOLO_PROVIDER=flutterwave KOLO_FLW_BASE_URL="http://127.0.0.1:$fake_port" \
		KOLO_FLW_SECRET_KEY="$provider_key" KOLO_FLW_SECRET_HASH="faults-hash-$RANDOM$RANDOM" \
		KOLO_FLW_TIMEOUT_MS=2000
fi
# A live provider is production to kolo-events, which then refuses its mail
# dir; the scenarios read codes and messages from it (the fake's world).
export KOLO_EVENTS_ALLOW_MAIL_DIR=true
# Both providers are live: the fault owner has no verified KYC, so
# accounts open as in a sandbox (KYC itself: tests/integration/identity).
export KOLO_ACCOUNT_KYC=off
export KOLO_PAYMENTS_WORKER_INTERVAL_MS=200 \
	KOLO_PAYMENTS_PAYOUT_STALE_S=1 KOLO_PAYMENTS_RESEND_AFTER_S=3 \
	KOLO_WITHDRAWALS_WORKER_INTERVAL_MS=200 KOLO_GROUPS_CREATE_PER_DAY=0 \
	KOLO_ACCOUNT_KYC=off \
	KOLO_WITHDRAWALS_PAYOUT_IDLE_S=1 KOLO_SHUTDOWN_GRACE_MS=5000 \
	KOLO_PAYMENTS_EVENT_GRACE_S=5 KOLO_GOVERNANCE_DELAY_S=2 KOLO_GROUPS_WORKER_INTERVAL_MS=200 \
	KOLO_LEDGER_WORKER_INTERVAL_MS=200
# Every read asks groups (no remembered membership), so that a stopped
# groups shows in the reads that need it (scenario f).
export KOLO_MEMBER_CACHE_MS=0
export KOLO_RATE_LOGIN_ACCOUNT=1000/60 KOLO_RATE_LOGIN_IP=1000/60 \
	KOLO_RATE_PIN_IP=1000/60 KOLO_RATE_PIN_ACCOUNT=1000/60

# Every process of the suite, kolo-events with them: it writes mail (the
# users' email codes) into KOLO_MAIL_DIR, the embedded default.
export KOLO_FAULT_SERVICES="${KOLO_SERVICES[*]}" KOLO_MAIL_DIR="$run/mail"
mkdir -p "$KOLO_MAIL_DIR"
# kolo-events at the pace of the other workers (scenario n): passes every
# 200 ms, a killed claim free again after 5 s (the least), partner
# endpoints on loopback over http, answered within 2 s, retried after 0.5 s.
export KOLO_EVENTS_INGEST_INTERVAL_MS=200 KOLO_EVENTS_DELIVER_INTERVAL_MS=200 \
	KOLO_EVENTS_LEASE_S=5 KOLO_WEBHOOK_ALLOW_HTTP_LOOPBACK=1 KOLO_WEBHOOK_INTERVAL_MS=200 \
	KOLO_WEBHOOK_TIMEOUT_MS=2000 KOLO_WEBHOOK_RETRY_FIRST_MS=500 KOLO_WEBHOOK_RETRY_MAX_MS=2000

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
