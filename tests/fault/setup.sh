# shellcheck shell=bash
# setup.sh: the part of a fault run that run_faults.sh and run_failover.sh
# share, sourced after the database exists (it may exit the caller):
# the fake provider (KOLO_FAULT_PROVIDER, default flutterwave) on a free
# port, and the services' configuration at the fault suite's pace, each
# service's KOLO_<SERVICE>_DATABASE_URL its own role on "$db" at
# PGHOST/PGPORT (a caller may override them afterwards).
# Needs: src, run, db; pg.sh, suite.sh and testsuite.sh sourced.
# Sets: provider, provider_key, fake_pid (for the caller's cleanup), fake_port.

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

