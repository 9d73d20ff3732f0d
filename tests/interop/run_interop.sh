#!/usr/bin/env bash
# Starts the suite on a fresh database of the test cluster (KOLO_TEST_PG),
# runs the python interop clients against it, and stops it: every process
# must shut down cleanly (exit 0) on SIGTERM.
#   run_interop.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
trap 'kolo_testsuite_down >/dev/null 2>&1 || true' EXIT

kolo_testsuite_up "$src" "$build"
args=()
for svc in "${KOLO_SERVICES[@]}"; do
	args+=("kolo.$svc.v1.${svc^}Service=$(kolo_suite_addr "$svc")")
done
/usr/bin/python3 "$src/tests/interop/health.py" "${args[@]}"
/usr/bin/python3 "$src/tests/interop/identity.py" "$(kolo_suite_addr identity)"
# @grpc/grpc-js decodes grpc-status-details-bin (npm ci when the lock changed).
node_dir="$src/tests/interop/node"
stamp="$(sha256sum "$node_dir/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$node_dir/node_modules/.kolo-lock-sha256" 2>/dev/null)" != "$stamp" ]; then
	(cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	echo "$stamp" >"$node_dir/node_modules/.kolo-lock-sha256"
fi
node "$node_dir/errors.mjs" "$src/proto" "$(kolo_suite_addr identity)"
kolo_testsuite_down
echo "interop: every process stopped cleanly"
