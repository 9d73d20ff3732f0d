#!/usr/bin/env bash
# bench/identity.sh [SECONDS]: Login/s and GetMe/s on kolo-identity with the
# production argon2id profile (interactive: ops 2, 64 MiB), from 1 and 16
# client threads, against a private PostgreSQL with fsync on. Loopback only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/pg.sh
. scripts/lib/suite.sh
secs="${1:-10}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
tmp="$(mktemp -d /tmp/kolo-bench.XXXXXX)"
chmod 755 "$tmp"
pid=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	kolo_pg_stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
kolo_pg_start "$tmp/pg" 17370 on >/dev/null
/usr/lib/postgresql/15/bin/psql "$(kolo_pg_url postgres)" -qc "CREATE DATABASE kolo"
KOLO_DATABASE_URL="$(kolo_pg_url kolo)" build/tools/migrate/kolo-migrate --dir migrations 2>/dev/null
kolo_suite_secrets "$tmp/secrets.env" build/tools/keygen/kolo-keygen
export KOLO_IDENTITY_ADDR=127.0.0.1:17301
export KOLO_IDENTITY_DATABASE_URL="$(kolo_pg_url kolo kolo_identity)"
KOLO_INTERNAL_TOKEN="$KOLO_IDENTITY_TOKEN" KOLO_CALLER_TOKEN_HASHES="$(kolo_suite_caller_hashes)" \
	build/services/identity/kolo-identity 2>"$tmp/identity.log" &
pid=$!
build/tools/health/kolo-health --wait 20 "$KOLO_IDENTITY_ADDR" >/dev/null
for threads in 1 16; do
	build/bench/identity_bench "$KOLO_IDENTITY_ADDR" "$threads" "$secs"
done
echo "identity rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)"
