#!/usr/bin/env bash
# Starts the five services against a fresh, migrated database of the test
# cluster (KOLO_TEST_PG), runs the python interop client, and stops them:
# every service must shut down cleanly (exit 0) on SIGTERM.
#   run_interop.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
# shellcheck source=../../scripts/lib/pg.sh
. "$src/scripts/lib/pg.sh"
# shellcheck source=../../scripts/lib/suite.sh
. "$src/scripts/lib/suite.sh"

: "${KOLO_TEST_PG:?KOLO_TEST_PG is not set: run through scripts/test}"
db="kolo_interop_$$"
run="$(mktemp -d /tmp/kolo-interop.XXXXXX)"
psql_admin() {
	/usr/lib/postgresql/15/bin/psql "$KOLO_TEST_PG" -v ON_ERROR_STOP=1 -qAt "$@"
}
cleanup() {
	kolo_suite_stop "$run" >/dev/null 2>&1 || true
	psql_admin -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
	rm -rf "$run"
}
trap cleanup EXIT

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

psql_admin -c "CREATE DATABASE $db"
# The services' URLs are built from the test cluster's host and port.
PGHOST="$(psql_admin -c 'SHOW unix_socket_directories' | cut -d, -f1)"
PGPORT="$(psql_admin -c 'SHOW port')"
export PGHOST PGPORT
KOLO_DATABASE_URL="$(kolo_pg_url "$db")" "$build/tools/migrate/kolo-migrate" --dir "$src/migrations"
kolo_suite_secrets "$run/secrets.env" "$build/tools/keygen/kolo-keygen"
# A test asks for the cheap argon2id profile (DESIGN §4).
export KOLO_PWHASH_PROFILE=test

args=()
for svc in "${KOLO_SERVICES[@]}"; do
	upper="$(_kolo_upper "$svc")"
	export "KOLO_${upper}_ADDR=127.0.0.1:$(free_port)"
	name="${svc^}"
	args+=("kolo.$svc.v1.${name}Service=$(kolo_suite_addr "$svc")")
done
kolo_suite_start "$build" "$run" "$db"
/usr/bin/python3 "$src/tests/interop/health.py" "${args[@]}"
/usr/bin/python3 "$src/tests/interop/identity.py" "$(kolo_suite_addr identity)"
kolo_suite_stop "$run"
echo "interop: all services stopped cleanly"
