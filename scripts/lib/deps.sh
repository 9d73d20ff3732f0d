# shellcheck shell=bash
# deps.sh: the Debian packages Kolo builds, runs and tests with.
#
#   kolo_deps_install [extra packages...]
# installs whatever is missing (apt-get update first), as root; a non-root
# caller gets the apt-get command to run instead. Never prompts.

KOLO_DEPS=(
	build-essential cmake pkg-config
	libgrpc-dev protobuf-c-compiler libprotobuf-c-dev
	libpq-dev libsodium-dev libssl-dev libcurl4-openssl-dev
	libcmocka-dev libmicrohttpd-dev libjansson-dev
	postgresql-15 curl
)

kolo_deps_install() {
	local missing=() pkg
	for pkg in "${KOLO_DEPS[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$pkg")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages; run as root: apt-get install -y ${missing[*]}" >&2
		return 1
	fi
	echo "deps: installing ${missing[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || return 1
}
