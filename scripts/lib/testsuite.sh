# shellcheck shell=bash
# testsuite.sh: a whole suite for a test program, on the test cluster.
#
#   kolo_testsuite_up SRC BUILD   a fresh migrated database on KOLO_TEST_PG,
#                                 fresh secrets, free loopback ports, the
#                                 cheap argon2id profile (DESIGN §4: tests may
#                                 ask for it), then the five services and the
#                                 gateway; sets KOLO_TESTSUITE_RUN (its folder)
#   kolo_testsuite_down           stops them (fails if one did not exit 0),
#                                 drops the database, removes the folder
# Callers trap kolo_testsuite_down on EXIT. Needs pg.sh and suite.sh.

# A free port below the kernel's ephemeral range (ip_local_port_range): a
# port the kernel handed out for bind(0) can be taken as the source port
# of some outgoing connection before the service binds it. Suites run side
# by side (ctest -j) and each picks ports before its processes bind them,
# so a port is also reserved for this shell ($$) under $KOLO_PORTS_DIR until
# kolo_ports_release; a reservation whose shell is gone is taken over.
KOLO_PORTS_DIR="${KOLO_PORTS_DIR:-/tmp/kolo-ports}"

_kolo_free_port() {
	mkdir -p "$KOLO_PORTS_DIR"
	/usr/bin/python3 -c '
import os, random, socket, sys
pid, folder = int(sys.argv[1]), sys.argv[2]

def alive(owner):
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True

def reserve(port):
    path = os.path.join(folder, str(port))
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = int(open(path).read().strip() or "0")
            except (OSError, ValueError):
                owner = 0
            if owner and alive(owner):
                return False
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            continue
        os.write(fd, str(pid).encode())
        os.close(fd)
        return True
    return False

low, high = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
span = (20000, low) if low > 21000 else (high + 1, 65536)
for _ in range(200):
    port = random.randrange(*span)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    if not reserve(port):
        continue
    print(port)
    break
else:
    raise SystemExit("no free port")' "$$" "$KOLO_PORTS_DIR"
}

# Gives back the ports this shell reserved.
kolo_ports_release() {
	local f
	[ -d "$KOLO_PORTS_DIR" ] || return 0
	for f in "$KOLO_PORTS_DIR"/*; do
		[ -f "$f" ] && [ "$(cat "$f" 2>/dev/null)" = "$$" ] && rm -f "$f"
	done
	return 0
}

_kolo_psql_admin() {
	/usr/lib/postgresql/15/bin/psql "$KOLO_TEST_PG" -v ON_ERROR_STOP=1 -qAt "$@"
}

kolo_testsuite_up() {
	local src="$1" build="$2" svc
	: "${KOLO_TEST_PG:?KOLO_TEST_PG is not set: run through scripts/test}"
	KOLO_TESTSUITE_DB="kolo_suite_$$_${RANDOM}"
	KOLO_TESTSUITE_RUN="$(mktemp -d /tmp/kolo-suite.XXXXXX)"
	_kolo_psql_admin -c "CREATE DATABASE $KOLO_TESTSUITE_DB" || return 1
	PGHOST="$(_kolo_psql_admin -c 'SHOW unix_socket_directories' | cut -d, -f1)"
	PGPORT="$(_kolo_psql_admin -c 'SHOW port')"
	export PGHOST PGPORT
	KOLO_DATABASE_URL="$(kolo_pg_url "$KOLO_TESTSUITE_DB")" \
		"$build/tools/migrate/kolo-migrate" --dir "$src/migrations" 2>/dev/null || return 1
	kolo_suite_secrets "$KOLO_TESTSUITE_RUN/secrets.env" "$build/tools/keygen/kolo-keygen" || return 1
	export KOLO_PWHASH_PROFILE=test
	for svc in "${KOLO_SERVICES[@]}"; do
		export "KOLO_$(_kolo_upper "$svc")_ADDR=127.0.0.1:$(_kolo_free_port)"
	done
	export KOLO_GATEWAY_ADDR="127.0.0.1:$(_kolo_free_port)"
	kolo_suite_start "$build" "$KOLO_TESTSUITE_RUN" "$KOLO_TESTSUITE_DB"
}

kolo_testsuite_down() {
	local status=0
	[ -n "${KOLO_TESTSUITE_RUN:-}" ] || return 0
	kolo_suite_stop "$KOLO_TESTSUITE_RUN" || status=1
	_kolo_psql_admin -c "DROP DATABASE IF EXISTS $KOLO_TESTSUITE_DB WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$KOLO_TESTSUITE_RUN"
	KOLO_TESTSUITE_RUN=""
	kolo_ports_release
	return "$status"
}
