#!/usr/bin/env bash
# gRPC core's own lines go through the JSON logger (issue 21): kolo-health
# with GRPC_VERBOSITY=debug against a closed port makes core log (epoll,
# a refused connect); every stderr line but the tool's own verdict must
# parse as a JSON object with the logger's fields and source "grpc".
set -euo pipefail
bin="$1/tools/health/kolo-health"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
GRPC_VERBOSITY=debug "$bin" 127.0.0.1:1 2>"$err" >/dev/null && { echo "127.0.0.1:1 served?"; exit 1; }
python3 - "$err" <<'PY'
import json, sys
core = 0
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line or line.startswith("kolo-health: "):
        continue
    obj = json.loads(line)  # a plain "I1206 ..." core line fails here
    for field in ("ts", "level", "service", "msg"):
        assert field in obj, (field, line)
    assert obj["level"] in ("debug", "info", "warn", "error"), line
    if obj.get("source") == "grpc":
        assert obj.get("file") and obj.get("line"), line
        core += 1
assert core > 0, "no gRPC core line was provoked"
print("gRPC core lines as JSON:", core)
PY
