#!/usr/bin/env bash
# tests/scripts/test_devdb.sh SRC BUILD: scripts/run's database (kolo_devdb_up,
# on a cluster of its own in a temporary folder) is closed to other local
# users: no TCP listener, no trust line in pg_hba.conf, the service roles
# log in with their passwords only, the superuser only by peer.
# KOLO_DEVDB_TEST_PORT picks the port (default: a free one).
set -euo pipefail
src="$1"
build="$2"
# shellcheck source=scripts/lib/pg.sh
. "$src/scripts/lib/pg.sh"
# shellcheck source=scripts/lib/suite.sh
. "$src/scripts/lib/suite.sh"
# shellcheck source=scripts/lib/devdb.sh
. "$src/scripts/lib/devdb.sh"

port="${KOLO_DEVDB_TEST_PORT:-$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
data="$(mktemp -d /tmp/kolo-devdb.XXXXXX)"
chmod 755 "$data"
cleanup() {
	kolo_pg_stop "$data/pg" immediate >/dev/null 2>&1 || true
	rm -rf "$data"
}
trap cleanup EXIT
export PGPASSFILE="$data/no-pgpass"
unset PGPASSWORD

passed=0
failed=0
check() { # NAME COMMAND...
	local name="$1"
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $name" >&2
		failed=$((failed + 1))
	fi
}

kolo_devdb_up "$data" "$port" "$build" "$src" >/dev/null
psql="$KOLO_PG_BIN/psql"
admin="$(kolo_pg_url postgres)"
sql() { "$psql" "$admin" -qAt -c "$1"; }

check "no TCP listener (listen_addresses is empty)" \
	test "$(sql 'SHOW listen_addresses')" = ""
check "pg_hba.conf has no trust rule" \
	test "$(sql "SELECT count(*) FROM pg_hba_file_rules WHERE auth_method = 'trust' OR type <> 'local'")" = 0
check "pg_hba.conf has no trust line at all" \
	bash -c "! grep -Ev '^[[:space:]]*(#|$)' '$data/pg/data/pg_hba.conf' | grep -qw trust"
check "no TCP connection on 127.0.0.1:$port" \
	bash -c "! '$psql' 'host=127.0.0.1 port=$port dbname=kolo user=postgres connect_timeout=3' -c 'SELECT 1' >/dev/null 2>&1"
for svc in "${KOLO_SERVICES[@]}"; do
	pw_var="KOLO_$(_kolo_upper "$svc")_DB_PASSWORD"
	check "kolo_$svc has a password" \
		test "$(sql "SELECT count(*) FROM pg_authid WHERE rolname = 'kolo_$svc' AND rolpassword LIKE 'SCRAM-SHA-256%'")" = 1
	check "kolo_$svc cannot log in without its password" \
		bash -c "! '$psql' '$(kolo_pg_url kolo "kolo_$svc")' -c 'SELECT 1' >/dev/null 2>&1"
	check "kolo_$svc cannot log in with a wrong password" \
		bash -c "! '$psql' '$(kolo_pg_url kolo "kolo_$svc" wrong-password)' -c 'SELECT 1' >/dev/null 2>&1"
	check "kolo_$svc logs in with its password" \
		test "$("$psql" "$(kolo_pg_url kolo "kolo_$svc" "${!pw_var}")" -qAt -c 'SELECT current_user')" = "kolo_$svc"
done
# A second start (scripts/run again) keeps it closed and the logins working.
kolo_devdb_up "$data" "$port" "$build" "$src" >/dev/null
check "a second start keeps no TCP listener" test "$(sql 'SHOW listen_addresses')" = ""
check "a second start keeps the ledger's password" \
	test "$("$psql" "$(kolo_pg_url kolo kolo_ledger "$KOLO_LEDGER_DB_PASSWORD")" -qAt -c 'SELECT 1')" = 1

echo "devdb: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
