#!/usr/bin/env bash
# tests/integration/ha/run.sh TEST_HA_BINARY: a primary and a synchronous
# streaming standby (scripts/lib/pg.sh) in a fresh folder, test_ha against
# them, and both clusters stopped and removed whatever happens.
#
# Ports: KOLO_HA_PORT_BASE (default 5611) and the next one, on 127.0.0.1
# (the clusters also listen on their unix sockets, which the test uses).
# They sit below the kernel's ephemeral range, where scripts/test's own
# cluster port comes from, and outside the 20000+ block
# scripts/lib/testsuite.sh hands out.
set -euo pipefail

bin="${1:?usage: run.sh TEST_HA_BINARY}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
base="${KOLO_HA_PORT_BASE:-5611}"
pport="$base"
sport="$((base + 1))"

# shellcheck source=scripts/lib/pg.sh
. "$root/scripts/lib/pg.sh"

tmp="$(mktemp -d /tmp/kolo-ha.XXXXXX)"
chmod 755 "$tmp" # the postgres user must reach the clusters in it
cleanup() {
	kolo_pg_stop "$tmp/standby" immediate >/dev/null 2>&1 || true
	kolo_pg_stop "$tmp/primary" immediate >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

kolo_pg_start "$tmp/primary" "$pport" off >/dev/null
kolo_pg_start_standby "$tmp/primary" "$pport" "$tmp/standby" "$sport" kolo_standby off
kolo_pg_sync "$tmp/primary" kolo_standby

export KOLO_TEST_PG="host=$tmp/primary port=$pport dbname=postgres user=postgres"
export KOLO_HA_PRIMARY_DIR="$tmp/primary" KOLO_HA_PRIMARY_PORT="$pport"
export KOLO_HA_STANDBY_DIR="$tmp/standby" KOLO_HA_STANDBY_PORT="$sport"
# In the background, so that a TERM (ctest's TIMEOUT) ends it too and the
# clusters still go.
"$bin" &
child=$!
trap 'kill "$child" 2>/dev/null; exit 143' TERM INT
wait "$child"
