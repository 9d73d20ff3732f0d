#!/usr/bin/env bash
# bench/rpc.sh [SECONDS]: unary calls/s of a trivial method on shared/rpc
# (kolo.test.v1.EchoService/Echo), server and client in separate processes
# on loopback, from 1 and 16 client threads; three runs each, prints every
# run. Builds an optimised tree in build/ first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
secs="${1:-10}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target rpc_bench >/dev/null
bin=build/bench/rpc_bench
port=17199
"$bin" serve "127.0.0.1:$port" 2 >/dev/null &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
sleep 0.5
for threads in 1 16; do
	for run in 1 2 3; do
		echo "run=$run $("$bin" load "127.0.0.1:$port" "$threads" "$secs")"
	done
done
echo "server rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$server/status)"
