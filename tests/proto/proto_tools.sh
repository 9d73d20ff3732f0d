# shellcheck shell=bash
# proto_tools.sh: kolo_proto_tools_install installs what tests/proto-tools
# needs (buf, @grpc/grpc-js, @grpc/proto-loader from its package-lock.json),
# without prompts: Node.js and npm from Debian when missing (needs
# scripts/lib/deps.sh sourced), then `npm ci` only when the lock changed.
kolo_proto_tools_install() {
	local dir stamp
	dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../proto-tools" && pwd)"
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		# shellcheck disable=SC2034 # read by kolo_deps_install
		local KOLO_DEPS=()
		kolo_deps_install nodejs npm
	fi
	stamp="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
	if [ "$(cat "$dir/node_modules/.kolo-lock-sha256" 2>/dev/null)" != "$stamp" ]; then
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		echo "$stamp" >"$dir/node_modules/.kolo-lock-sha256"
	fi
}
