#!/usr/bin/env bash
# The whole suite with mutual TLS between every process: each service
# serves with a certificate of a throwaway CA and demands one of the same
# CA from its callers, the gateway and the services present theirs. Checks
# that the gateway reaches every service (readyz), that a user's story
# crossing identity, groups, ledger and payments works through it, and that
# plaintext or certificate-less callers are refused by every service.
#   run_tls.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
certs="$(mktemp -d /tmp/kolo-tls-suite.XXXXXX)"
trap 'kolo_testsuite_down >/dev/null 2>&1 || true; rm -rf "$certs"' EXIT
fail() {
	echo "tls: FAILED: $*" >&2
	exit 1
}

bash "$src/tests/integration/rpc/make_certs.sh" "$certs"
export KOLO_TLS_CERT_FILE="$certs/peer.pem" KOLO_TLS_KEY_FILE="$certs/peer.key" \
	KOLO_TLS_CLIENT_CA_FILE="$certs/ca.pem" KOLO_TLS_CA_FILE="$certs/ca.pem"
kolo_testsuite_up "$src" "$build"
url="$(kolo_suite_url)"

# HTTP through the gateway; prints the body, fails on another status.
api() { # WANT METHOD PATH [BODY] [TOKEN]
	local out code
	out="$KOLO_TESTSUITE_RUN/reply"
	code="$(curl -s -o "$out" -w '%{http_code}' -X "$2" -H 'Content-Type: application/json' \
		${5:+-H "Authorization: Bearer $5"} ${4:+--data "$4"} "$url$3")"
	[ "$code" = "$1" ] || fail "$2 $3: http $code, want $1: $(cat "$out")"
	cat "$out"
}
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

api 200 GET /readyz >/dev/null
api 201 POST /v1/auth/register '{"email":"tls@example.com","password":"a long password","name":"Ada"}' >/dev/null
token="$(api 200 POST /v1/auth/login '{"email":"tls@example.com","password":"a long password"}' | field access_token)"
group="$(api 201 POST /v1/groups '{"name":"Ajo over TLS"}' "$token" | field id)"
balance="$(api 200 GET "/v1/groups/$group/balance" "" "$token" | field balance_kobo)"
[ "$balance" = 0 ] || fail "balance $balance, want 0"
echo "tls: the gateway reaches every service over mutual TLS"

for svc in "${KOLO_SERVICES[@]}"; do
	addr="$(kolo_suite_addr "$svc")"
	"$build/tools/health/kolo-health" "$addr" >/dev/null 2>&1 ||
		fail "kolo-$svc refused a caller with the CA's certificate"
	if env -u KOLO_TLS_CA_FILE -u KOLO_TLS_CERT_FILE -u KOLO_TLS_KEY_FILE \
		"$build/tools/health/kolo-health" "$addr" >/dev/null 2>&1; then
		fail "kolo-$svc answered a plaintext caller"
	fi
	if env -u KOLO_TLS_CERT_FILE -u KOLO_TLS_KEY_FILE \
		"$build/tools/health/kolo-health" "$addr" >/dev/null 2>&1; then
		fail "kolo-$svc answered a caller without a certificate"
	fi
done
echo "tls: every service refuses plaintext and certificate-less callers"
kolo_testsuite_down
echo "tls: every process stopped cleanly"
