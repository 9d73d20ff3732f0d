#!/usr/bin/env bash
# The 5,000-member load (issue 20): the suite on a fresh database of the
# test cluster (KOLO_TEST_PG) with kolo-events sending SMS through the fake
# Termii (tests/fake_sms) under a rate budget of KOLO_SMS_RATE_PER_S=500;
# sms_load.py makes an association of 5,000 members who chose deposit
# alerts by SMS, credits one deposit and checks the fake's requests: one
# SMS per member, none to anyone else, no second above the budget (plus
# the bucket's capacity). Every process must exit 0 on SIGTERM.
#   run_sms_load.sh SOURCE_DIR BUILD_DIR [MEMBERS]
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
members="${3:-5000}"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
fake_pid=""
fake_dir="$(mktemp -d /tmp/kolo-smsload.XXXXXX)"
cleanup() {
	local rc=$?
	kolo_testsuite_down >/dev/null 2>&1 || rc=1
	if [ -n "$fake_pid" ]; then
		kill -TERM "$fake_pid" 2>/dev/null || true
		wait "$fake_pid" 2>/dev/null || true
	fi
	rm -rf "$fake_dir"
	exit "$rc"
}
trap cleanup EXIT

key="termii-load-$RANDOM$RANDOM"
/usr/bin/python3 "$src/tests/fake_sms/fake_termii.py" --port 0 --api-key "$key" \
	>"$fake_dir/out" 2>"$fake_dir/log" &
fake_pid=$!
for _ in $(seq 1 100); do
	grep -q '^listening ' "$fake_dir/out" 2>/dev/null && break
	sleep 0.1
done
port="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$fake_dir/out")"
[ -n "$port" ] || {
	echo "sms load: the fake Termii did not start" >&2
	exit 1
}

# The budget under test, and enough delivery workers to press on it.
export KOLO_SMS_URL="http://127.0.0.1:$port/api/sms/send" KOLO_SMS_API_KEY="$key" \
	KOLO_SMS_RATE_PER_S=500 KOLO_EVENTS_DELIVERY_WORKERS=8 \
	KOLO_EVENTS_INGEST_INTERVAL_MS=200 KOLO_EVENTS_DELIVER_INTERVAL_MS=200
export KOLO_MAIL_DIR="$fake_dir/mail"
mkdir -p "$KOLO_MAIL_DIR"
kolo_testsuite_up "$src" "$build"
KOLO_LOAD_URL="$(kolo_suite_url)" KOLO_LOAD_DB="$(kolo_pg_url "$KOLO_TESTSUITE_DB")" \
	KOLO_LOAD_SMS="http://127.0.0.1:$port" KOLO_LOAD_MEMBERS="$members" \
	/usr/bin/python3 "$src/tests/load/sms_load.py"
kolo_testsuite_down
echo "sms load: every process stopped cleanly"
