#!/usr/bin/env bash
# bench/deposit_check.sh: checks that bench/deposit_bench times a deposit's
# credit, not the webhook's answer (issue 25), against a stand-in: a Python
# HTTP server on loopback that answers every webhook 200 at once and credits
# it (an INSERT into a scratch ledger_entry, through one psql) DELAY ms
# later, as an asynchronous, batched path would; on a private PostgreSQL
# (fsync off: the delay, not the disk, is measured). Three cases, 100
# deposits/s for 3 s from 4 senders:
#   credit 30 ms after the answer: credited p50 >= 30 ms, answer p50 < 30 ms;
#   credit at once: credited p50 < 30 ms;
#   never credited: deposit_bench must fail (every accepted webhook
#     uncredited), after KOLO_BENCH_CREDIT_GRACE_S=2.
# Not a test of Kolo (nothing of Kolo runs) and not in scripts/test: it
# guards the measuring tool. Ports 17560 (stand-in) and 17570 (PostgreSQL).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/pg.sh
build="${KOLO_BENCH_BUILD:-build-bench}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j 2 --target deposit_bench >/dev/null
tmp="$(mktemp -d /tmp/kolo-depcheck.XXXXXX)"
chmod 755 "$tmp"
fake=""
cleanup() {
	[ -n "$fake" ] && kill -TERM "$fake" 2>/dev/null
	kolo_pg_stop "$tmp/pg" immediate >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
kolo_pg_start "$tmp/pg" 17570 off >/dev/null
conninfo="host=$tmp/pg port=17570 dbname=postgres user=postgres"
"$KOLO_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$conninfo" \
	-c "CREATE TABLE ledger_entry (reference text PRIMARY KEY)"
echo "00000000-0000-4000-8001-000000000001" >"$tmp/groups"
cat >"$tmp/fake.py" <<'PY'
import json, queue, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, delay_ms, conninfo, psql_bin = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
psql = subprocess.Popen([psql_bin, "-X", "-q", conninfo], stdin=subprocess.PIPE, text=True)
pending = queue.Queue()
def credit():  # each deposit DELAY ms after its answer; never when DELAY < 0
    while True:
        due, ref = pending.get()
        time.sleep(max(0.0, due - time.monotonic()))
        psql.stdin.write("INSERT INTO ledger_entry VALUES ('%s');\n" % ref)
        psql.stdin.flush()
threading.Thread(target=credit, daemon=True).start()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        ref = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["data"]["id"]
        if delay_ms >= 0:
            pending.put((time.monotonic() + delay_ms / 1000.0, ref))
        # one write: headers and body apart would wait on the client's delayed ACK
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
PY
field() { # LINE NAME
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$1"
}
fails=0
check() { # WHAT CONDITION
	if eval "$2"; then echo "ok: $1"; else
		echo "FAILED: $1" >&2
		fails=$((fails + 1))
	fi
}
run_case() { # DELAY_MS TAG: prints deposit_bench's line; its status in $rc
	timeout 120 python3 "$tmp/fake.py" 17560 "$1" "$conninfo" "$KOLO_PG_BIN/psql" &
	fake=$!
	for _ in $(seq 1 100); do
		curl -s -o /dev/null "http://127.0.0.1:17560/" 2>/dev/null && break
		sleep 0.05
	done
	rc=0
	line="$(KOLO_BENCH_CREDIT_GRACE_S=2 "$build/bench/deposit_bench" http://127.0.0.1:17560 \
		h "$conninfo" "$tmp/groups" 4 3 100 "$2")" || rc=$?
	kill -TERM "$fake" 2>/dev/null
	wait "$fake" 2>/dev/null || true
	fake=""
	echo "credit ${1} ms after the answer: $line (exit $rc)"
}
run_case 30 late
check "credit 30 ms after the answer: credited p50 >= 30 ms" \
	'[ "$rc" = 0 ] && [ "$(field "$line" p50_us)" -ge 30000 ]'
check "credit 30 ms after the answer: the answer's p50 < 30 ms" \
	'[ "$(field "$line" ack_p50_us)" -lt 30000 ]'
run_case 0 prompt
check "credit at once: credited p50 < 30 ms" \
	'[ "$rc" = 0 ] && [ "$(field "$line" p50_us)" -lt 30000 ]'
run_case -1 never
check "never credited: deposit_bench fails, none counted credited" \
	'[ "$rc" = 1 ] && [ "$(field "$line" credited)" = 0 ]'
[ "$fails" = 0 ] && echo "deposit_check: all passed" || echo "deposit_check: $fails failed" >&2
exit "$fails"
