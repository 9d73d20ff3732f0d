#!/usr/bin/env bash
# tests/proto/buf_check.sh: the protos under proto/ (buf.yaml) pass
# `buf lint` (STANDARD rules) and `buf breaking` against the image of the
# last release (proto/releases/, the newest by name; see docs/decisions.md
# "Protos: buf lint and breaking" for how a release adds one). Any finding
# fails. buf comes from npm: tests/proto-tools/package-lock.json, installed
# with `npm ci` when the lock changed (Node.js and npm from Debian when
# missing). Run by scripts/test before ctest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$root/tests/proto-tools"

# shellcheck source=scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
# shellcheck source=tests/proto/proto_tools.sh
. "$here/proto_tools.sh"
kolo_proto_tools_install

buf="$tools/node_modules/.bin/buf"
release="$(find "$root/proto/releases" -maxdepth 1 -name '*.binpb' | sort | tail -n 1)"
if [ -z "$release" ]; then
	echo "buf: no release image in proto/releases/" >&2
	exit 1
fi
cd "$root"
failed=0
if "$buf" lint; then
	echo "buf: lint ok" >&2
else
	echo "buf: FAIL lint (findings above)" >&2
	failed=1
fi
if "$buf" breaking --against "$release"; then
	echo "buf: breaking ok against ${release#"$root"/}" >&2
else
	echo "buf: FAIL breaking against ${release#"$root"/} (findings above)" >&2
	failed=1
fi
exit "$failed"
