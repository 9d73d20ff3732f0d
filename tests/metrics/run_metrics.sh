#!/usr/bin/env bash
# Every process's Prometheus exposition, read by a client no one here
# wrote: Debian's promtool (package prometheus) lints each scrape. Starts
# the suite on a fresh database of the test cluster (KOLO_TEST_PG) with a
# metrics listener per service (KOLO_<SVC>_METRICS_ADDR), makes one call
# to each, scrapes every service and the gateway, checks the series.
#   run_metrics.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
. "$src/scripts/lib/deps.sh"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
kolo_deps_install prometheus
trap 'kolo_testsuite_down >/dev/null 2>&1 || true' EXIT

for svc in "${KOLO_SERVICES[@]}"; do
	export "KOLO_$(_kolo_upper "$svc")_METRICS_ADDR=127.0.0.1:$(_kolo_free_port)"
done
kolo_testsuite_up "$src" "$build"
out="$KOLO_TESTSUITE_RUN/scrapes"
mkdir -p "$out"

fail() {
	echo "metrics: $*" >&2
	exit 1
}

# Has the scrape FILE a sample line starting with SERIES?
has() {
	grep -qF -- "$2" "$1" || fail "$(basename "$1") lacks $2"
}

check() {
	local name="$1" url="$2" file="$out/$1.txt"
	curl -fsS -o "$file" "$url" || fail "cannot scrape $name at $url"
	promtool check metrics <"$file" || fail "promtool refused the scrape of $name"
	has "$file" "process_cpu_seconds_total "
	has "$file" "process_resident_memory_bytes "
	has "$file" "process_open_fds "
	has "$file" "process_start_time_seconds "
}

for svc in "${KOLO_SERVICES[@]}"; do
	"$build/tools/health/kolo-health" "$(kolo_suite_addr "$svc")" >/dev/null
	var="KOLO_$(_kolo_upper "$svc")_METRICS_ADDR"
	check "$svc" "http://${!var}/metrics"
	f="$out/$svc.txt"
	has "$f" 'kolo_rpc_calls_total{method="/grpc.health.v1.Health/Check",code="OK"} '
	has "$f" 'kolo_rpc_call_duration_seconds_bucket{method="/grpc.health.v1.Health/Check",le="+Inf"} '
	has "$f" 'kolo_rpc_connections_total{service="kolo.'"$svc"'.v1.'"${svc^}"'Service"} '
	has "$f" 'kolo_db_connects_total{outcome="ok"} '
	case "$svc" in
	events)
		has "$f" 'kolo_worker_queue_depth{worker="deliveries"} '
		has "$f" 'kolo_worker_queue_oldest_age_seconds{worker="webhooks"} '
		;;
	*)
		has "$f" 'kolo_worker_queue_depth{worker="outbox_ingest"} '
		;;
	esac
	[ "$svc" = withdrawals ] && has "$f" 'kolo_worker_queue_depth{worker="payouts"} '
	# Run with KOLO_SUITE_READ_CONNINFO (a standby: scripts/lib/suite.sh), the
	# services that read from it measure its lag at each scrape.
	case "$svc" in groups | ledger | withdrawals)
		[ -z "${KOLO_SUITE_READ_CONNINFO:-}" ] || has "$f" 'kolo_db_replica_lag_seconds '
		;;
	esac
done
check gateway "$(kolo_suite_url)/metrics"
has "$out/gateway.txt" 'kolo_gateway_requests_total{'
kolo_testsuite_down
echo "metrics: every scrape passed promtool"
