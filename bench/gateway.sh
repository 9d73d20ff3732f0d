#!/usr/bin/env bash
# bench/gateway.sh [SECONDS]: wrk on GET /v1/me with a valid token (JWT
# verify in identity + one gRPC hop + one query) through kolo-gateway, at
# c=16 and c=64, beside a bare libmicrohttpd server (same thread pool) in the
# same run. Private PostgreSQL with fsync on; loopback only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/deps.sh
. scripts/lib/pg.sh
. scripts/lib/suite.sh
kolo_deps_install wrk
secs="${1:-10}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
tmp="$(mktemp -d /tmp/kolo-bench.XXXXXX)"
chmod 755 "$tmp"
bare=""
cleanup() {
	[ -n "$bare" ] && kill -TERM "$bare" 2>/dev/null
	kolo_suite_stop "$tmp/run" >/dev/null 2>&1 || true
	kolo_pg_stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
kolo_pg_start "$tmp/pg" 17470 on >/dev/null
/usr/lib/postgresql/15/bin/psql "$(kolo_pg_url postgres)" -qc "CREATE DATABASE kolo"
KOLO_DATABASE_URL="$(kolo_pg_url kolo)" build/tools/migrate/kolo-migrate --dir migrations 2>/dev/null
kolo_suite_secrets "$tmp/secrets.env" build/tools/keygen/kolo-keygen
export KOLO_IDENTITY_ADDR=127.0.0.1:17401 KOLO_GROUPS_ADDR=127.0.0.1:17402 \
	KOLO_LEDGER_ADDR=127.0.0.1:17403 KOLO_WITHDRAWALS_ADDR=127.0.0.1:17404 \
	KOLO_PAYMENTS_ADDR=127.0.0.1:17405 KOLO_GATEWAY_ADDR=127.0.0.1:17480 \
	KOLO_LOG_LEVEL=warn
kolo_suite_start build "$tmp/run" kolo
url="$(kolo_suite_url)"
token="$(curl -fsS -X POST "$url/v1/auth/register" \
	-d '{"email":"bench@example.com","password":"bench password","name":"Bench"}' |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
build/bench/mhd_bare 17481 16 &
bare=$!
sleep 0.3
rps() { # url conns [header]
	wrk -t2 -c"$2" -d"${secs}s" ${3:+-H "$3"} "$1" | awk '/Requests\/sec/ {print $2} /Latency/ {printf "p_avg=%s ", $2}'
}
for c in 16 64; do
	echo "c=$c gateway GET /v1/me: $(rps "$url/v1/me" "$c" "Authorization: Bearer $token")"
	echo "c=$c bare libmicrohttpd:  $(rps "http://127.0.0.1:17481/v1/me" "$c")"
done
