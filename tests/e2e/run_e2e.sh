#!/usr/bin/env bash
# Starts the suite and the gateway on a fresh database of the test cluster
# (KOLO_TEST_PG) with low rate limits, runs the e2e programs over HTTP and
# the OpenAPI/route-table check, then stops everything: every process must
# shut down cleanly (exit 0) on SIGTERM. Every reply the programs receive is
# recorded (KOLO_E2E_RECORD) and validated afterwards against the OpenAPI
# document's schemas (tests/openapi/run.sh responses).
#   run_e2e.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
trap 'kolo_testsuite_down >/dev/null 2>&1 || true' EXIT

# The OpenAPI document and the gateway's route table describe the same routes.
"$build/gateway/kolo-gateway" --routes >"$build/tests/e2e/routes.txt"
/usr/bin/python3 "$src/tests/e2e/check_openapi.py" "$src/gateway/openapi.yaml" \
	"$build/tests/e2e/routes.txt"

# The per-account login limit is what the e2e test hits; every test shares
# one client IP, so the per-IP limits stay out of the way.
export KOLO_RATE_LOGIN_ACCOUNT=3/60 KOLO_RATE_LOGIN_IP=1000/60 KOLO_RATE_PIN_IP=1000/60
# Identity's own per-address sign-up limit likewise (every test user signs up
# from 127.0.0.1).
export KOLO_IDENTITY_LIMIT_REGISTER_ADDR=100000/3600
# Webhooks: the tests pose as other clients through X-Forwarded-For; the
# provider's addresses are this host's and 198.51.100.0/24 (TEST-NET-2);
# 10 unsigned deliveries per address are kept.
export KOLO_GATEWAY_TRUST_FORWARDED=true KOLO_WEBHOOK_ALLOWED_IPS="127.0.0.1,::1,198.51.100.0/24"
export KOLO_WEBHOOK_UNSIGNED_PER_ADDR=10
# Partner webhooks (test_tour.c) may point at this machine over plain HTTP.
export KOLO_WEBHOOK_ALLOW_HTTP_LOOPBACK=true
# Proposals wait a short time-lock the tests can sit out (DESIGN §12).
export KOLO_GOVERNANCE_DELAY_S=2 KOLO_GROUPS_WORKER_INTERVAL_MS=200
# Mail of the embedded default (no KOLO_SMTP_URL): kolo-events writes each
# message here, and e2e users read their email codes from it (e2e.h).
export KOLO_MAIL_DIR="${KOLO_MAIL_DIR:-$build/tests/e2e/mail}"
rm -rf "$KOLO_MAIL_DIR"
mkdir -p "$KOLO_MAIL_DIR"
# A KOLO_CORS_ORIGINS that is not a list of origins stops the gateway at
# start (exit 2, naming the variable): "*" (credentials), a path, a default port.
for bad in '*' 'https://app.kolo.test/' 'https://app.kolo.test:443' 'app.kolo.test'; do
	rc=0
	said="$(KOLO_CORS_ORIGINS="$bad" KOLO_INTERNAL_TOKEN=x "$build/gateway/kolo-gateway" 2>&1)" || rc=$?
	if [ "$rc" -ne 2 ] || [[ "$said" != *'KOLO_CORS_ORIGINS: '* ]]; then
		echo "e2e: FAIL kolo-gateway started with KOLO_CORS_ORIGINS=$bad (exit $rc): $said" >&2
		exit 1
	fi
done

# CORS (test_cors.c): tests/e2e/cors/ served from two more origins, the
# first of them allowed; headless Chromium loads the page from each.
cors_pids=()
trap 'kill "${cors_pids[@]}" 2>/dev/null || true; kolo_testsuite_down >/dev/null 2>&1 || true' EXIT
cors_ports=("$(_kolo_free_port)")
until cors_ports[1]="$(_kolo_free_port)" && [ "${cors_ports[1]}" != "${cors_ports[0]}" ]; do :; done
for port in "${cors_ports[@]}"; do
	/usr/bin/python3 -m http.server "$port" --bind 127.0.0.1 \
		--directory "$src/tests/e2e/cors" >/dev/null 2>&1 &
	cors_pids+=("$!")
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/page.html" && break
		sleep 0.1
	done
done
export KOLO_E2E_CORS_ALLOWED="http://127.0.0.1:${cors_ports[0]}"
export KOLO_E2E_CORS_OTHER="http://127.0.0.1:${cors_ports[1]}"
export KOLO_CORS_ORIGINS="$KOLO_E2E_CORS_ALLOWED,https://app.kolo.test"
kolo_testsuite_up "$src" "$build"
export KOLO_E2E_URL="$(kolo_suite_url)"
export KOLO_E2E_GROUPS_PID="${KOLO_SUITE_PID[groups]}"
export KOLO_E2E_DB="$KOLO_TESTSUITE_DB"
# Screenshots and other things a person may want to look at afterwards.
export KOLO_E2E_OUT="$build/tests/e2e/out"
# Every reply, one JSON line each (tests/e2e/e2e.c).
export KOLO_E2E_RECORD="$build/tests/e2e/responses.jsonl"
rm -f "$KOLO_E2E_RECORD"
for prog in "$build"/tests/e2e/e2e_*; do
	"$prog"
done
kolo_testsuite_down
kill "${cors_pids[@]}" 2>/dev/null || true
echo "e2e: every process stopped cleanly"
# Each recorded reply against the document: operation, status, content type,
# body schema.
bash "$src/tests/openapi/run.sh" responses "$src" "$KOLO_E2E_RECORD"
