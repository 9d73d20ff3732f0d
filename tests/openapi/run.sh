#!/usr/bin/env bash
# tests/openapi/run.sh lint SOURCE_DIR
#   Lints gateway/openapi.yaml with the Redocly CLI (its `recommended` rules,
#   tests/openapi/redocly.yaml): any error or warning fails.
# tests/openapi/run.sh responses SOURCE_DIR RECORD_FILE
#   Validates the replies the e2e suite recorded (tests/e2e/e2e.c,
#   KOLO_E2E_RECORD) against the document (check_responses.mjs).
# tests/openapi/run.sh schemas SOURCE_DIR GATEWAY_BINARY
#   Compares the document's reply schemas with what the gateway writes, from
#   the proto descriptors (`kolo-gateway --openapi-schemas`, check_schemas.mjs).
# Installs what is missing, without prompts: Node.js and npm (Debian) and the
# npm packages of tests/openapi/package-lock.json (npm ci when the lock file
# changed, under a lock so that two runs at once install once).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:-}"
src="${2:-}"
case "$mode" in lint | responses | schemas) ;; *) src="" ;; esac
if [ -z "$src" ]; then
	echo "usage: run.sh lint SOURCE_DIR | run.sh responses SOURCE_DIR RECORD_FILE |" \
		"run.sh schemas SOURCE_DIR GATEWAY_BINARY" >&2
	exit 2
fi

# shellcheck source=scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	# shellcheck disable=SC2034 # read by kolo_deps_install
	KOLO_DEPS=() # only these two here: scripts/test installs the rest
	kolo_deps_install nodejs npm
fi

openapi_npm_ci() {
	local stamp
	stamp="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
	exec 9>"$here/.npm-ci.lock"
	flock 9
	if [ "$(cat "$here/node_modules/.kolo-lock-sha256" 2>/dev/null)" != "$stamp" ]; then
		(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		echo "$stamp" >"$here/node_modules/.kolo-lock-sha256"
	fi
	exec 9>&-
}
openapi_npm_ci

doc="$src/gateway/openapi.yaml"
case "$mode" in
lint)
	# No telemetry, no update check: nothing but npm is reachable here.
	export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
	out="$(mktemp /tmp/kolo-openapi-lint.XXXXXX)"
	trap 'rm -f "$out"' EXIT
	rc=0
	"$here/node_modules/.bin/redocly" lint --config "$here/redocly.yaml" \
		--format=stylish --max-problems=1000 "$doc" >"$out" 2>&1 || rc=$?
	# Warnings fail too: the config turns off, with a reason, what we accept.
	if [ "$rc" != 0 ] || grep -Eq '^[[:space:]]+[0-9]+:[0-9]+[[:space:]]+(error|warning)' "$out"; then
		grep -v '^[[:space:]]*[║╔╚]' "$out" >&2
		echo "openapi lint: FAILED (redocly lint, tests/openapi/redocly.yaml)"
		exit 1
	fi
	echo "openapi lint: redocly recommended rules, no error, no warning"
	;;
responses)
	[ -n "${3:-}" ] || { echo "usage: run.sh responses SOURCE_DIR RECORD_FILE" >&2; exit 2; }
	node "$here/check_responses.mjs" "$doc" "$3"
	;;
schemas)
	[ -n "${3:-}" ] || { echo "usage: run.sh schemas SOURCE_DIR GATEWAY_BINARY" >&2; exit 2; }
	gen="$(mktemp /tmp/kolo-openapi-schemas.XXXXXX)"
	trap 'rm -f "$gen"' EXIT
	"$3" --openapi-schemas >"$gen"
	node "$here/check_schemas.mjs" "$doc" "$gen"
	;;
esac
