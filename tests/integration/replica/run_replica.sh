#!/usr/bin/env bash
# Runs test_replica against a primary and its streaming hot standby of its
# own (two throwaway clusters on free ports under /tmp), stopped and removed
# on every exit. Usage: run_replica.sh SOURCE_DIR TEST_BINARY
set -euo pipefail
src="${1:?source dir}"
bin="${2:?test binary}"
. "$src/scripts/lib/pg.sh"

tmp="$(mktemp -d /tmp/kolo-replica.XXXXXX)"
chmod 755 "$tmp"
cleanup() {
	kolo_pg_stop "$tmp/standby" immediate >/dev/null 2>&1 || true
	kolo_pg_stop "$tmp/primary" immediate >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
pport="$(free_port)"
sport="$(free_port)"
while [ "$sport" = "$pport" ]; do sport="$(free_port)"; done

kolo_pg_start "$tmp/primary" "$pport" off >/dev/null
kolo_pg_start_standby "$tmp/primary" "$pport" "$tmp/standby" "$sport" kolo_read off

export KOLO_TEST_PG="host=$tmp/primary port=$pport user=postgres dbname=postgres"
export KOLO_TEST_PG_READ="host=$tmp/standby port=$sport"
# The test stops and starts the standby to show reads falling back.
export KOLO_TEST_PG_READ_STOP="bash -c '. \"$src/scripts/lib/pg.sh\" && kolo_pg_stop \"$tmp/standby\" fast >/dev/null'"
export KOLO_TEST_PG_READ_START="bash -c '. \"$src/scripts/lib/pg.sh\" && kolo_pg_start_standby \"$tmp/primary\" $pport \"$tmp/standby\" $sport kolo_read off'"
"$bin"
