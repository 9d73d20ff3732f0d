#!/usr/bin/env bash
# Request ids, traces and partial availability (docs/decisions.md) on the whole
# suite: starts it on a fresh database of the test cluster (KOLO_TEST_PG)
# with debug logs (a line per call), then
#   - trace_suite, phase trace: one request's id and trace in every
#     process's log (their stderr: $KOLO_TESTSUITE_RUN/<process>.log);
#   - clients no one here wrote: python3-grpcio reads x-request-id from
#     every service, curl -i from the gateway;
#   - trace_suite, phase down: it stops kolo-ledger itself; this script
#     reaps it (exit 0 expected) and starts it again; phase up: the
#     ledger's routes work again.
# Every process must then stop cleanly (exit 0) on SIGTERM.
#   run_trace.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
trap 'kolo_testsuite_down >/dev/null 2>&1 || true' EXIT

export KOLO_LOG_LEVEL=debug
export KOLO_RATE_LOGIN_IP=1000/60 KOLO_IDENTITY_LIMIT_REGISTER_ADDR=100000/3600
export KOLO_MAIL_DIR="$build/tests/trace/mail"
rm -rf "$KOLO_MAIL_DIR"
mkdir -p "$KOLO_MAIL_DIR"
kolo_testsuite_up "$src" "$build"
export KOLO_E2E_URL="$(kolo_suite_url)" KOLO_TRACE_LOGS="$KOLO_TESTSUITE_RUN"
export KOLO_TRACE_STATE="$KOLO_TESTSUITE_RUN/partial.state"
# Every reply, one JSON line each (tests/e2e/e2e.c), validated at the end
# against the OpenAPI document (a degraded /readyz, a 503 of a down service).
export KOLO_E2E_RECORD="$build/tests/trace/responses.jsonl"
rm -f "$KOLO_E2E_RECORD"

KOLO_TRACE_PHASE=trace "$build/tests/trace/trace_suite"

addrs=()
for svc in "${KOLO_SERVICES[@]}"; do
	addrs+=("$(kolo_suite_addr "$svc")")
done
/usr/bin/python3 "$src/tests/interop/request_id.py" "${addrs[@]}"
# curl: the gateway's reply carries the id it was given.
curl -si -H 'X-Request-Id: curl-rid-1' \
	-H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
	"$KOLO_E2E_URL/healthz" | tr -d '\r' | grep -qix 'x-request-id: curl-rid-1' || {
	echo "curl: the gateway's reply has no X-Request-Id: curl-rid-1" >&2
	exit 1
}

# One service down: the test stops kolo-ledger (SIGTERM) and checks the
# gateway; then the ledger comes back.
KOLO_TRACE_PHASE=down KOLO_TRACE_LEDGER_PID="${KOLO_SUITE_PID[ledger]}" \
	"$build/tests/trace/trace_suite"
status=0
wait "${KOLO_SUITE_PID[ledger]}" || status=$?
if [ "$status" -ne 0 ]; then
	echo "trace: kolo-ledger exited with status $status on SIGTERM" >&2
	exit 1
fi
_kolo_suite_spawn ledger "$build/services/ledger/kolo-ledger" "$KOLO_TESTSUITE_RUN/ledger.log"
"$build/tools/health/kolo-health" --wait 20 "$(kolo_suite_addr ledger)" >/dev/null
KOLO_TRACE_PHASE=up "$build/tests/trace/trace_suite"

kolo_testsuite_down
echo "trace: every process stopped cleanly"
bash "$src/tests/openapi/run.sh" responses "$src" "$KOLO_E2E_RECORD"
