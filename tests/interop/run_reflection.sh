#!/usr/bin/env bash
# Server reflection with clients no one here wrote, against the whole suite
# on a fresh database of the test cluster (KOLO_TEST_PG):
#  - `buf curl` (npm @bufbuild/buf): --list-services of every service (the
#    exact list), --list-methods of identity (exactly the .proto's RPCs plus
#    Health's and reflection's), and calls it finds through reflection
#    alone: Health/Check and IdentityService/Register;
#  - tests/interop/reflection.mjs (@grpc/grpc-js, @grpc/proto-loader):
#    reflection v1 and v1alpha on every service.
# Every process must then stop cleanly (exit 0, no sanitizer report).
#   run_reflection.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
. "$src/scripts/lib/deps.sh"
. "$src/scripts/lib/pg.sh"
. "$src/scripts/lib/suite.sh"
. "$src/scripts/lib/testsuite.sh"
. "$src/tests/proto/proto_tools.sh"
kolo_proto_tools_install
buf="$src/tests/proto-tools/node_modules/.bin/buf"
trap 'kolo_testsuite_down >/dev/null 2>&1 || true' EXIT
kolo_testsuite_up "$src" "$build"

failed=0
fail() {
	echo "reflection: FAIL $*" >&2
	failed=1
}
bufcurl() {
	timeout 30 "$buf" curl --protocol grpc --http2-prior-knowledge "$@"
}

fixed="grpc.health.v1.Health
grpc.reflection.v1.ServerReflection
grpc.reflection.v1alpha.ServerReflection"
args=()
for svc in "${KOLO_SERVICES[@]}"; do
	addr="$(kolo_suite_addr "$svc")"
	args+=("$svc=$addr")
	want="$(printf '%s\nkolo.%s.v1.%sService\n' "$fixed" "$svc" "${svc^}" | sort)"
	got="$(bufcurl --list-services "http://$addr" | sort)" || fail "buf curl --list-services $svc"
	[ "$got" = "$want" ] || fail "$svc lists services:"$'\n'"$got"$'\n'"want:"$'\n'"$want"
done

identity="http://$(kolo_suite_addr identity)"
want="$({
	printf '%s\n' grpc.health.v1.Health/Check grpc.health.v1.Health/Watch \
		grpc.reflection.v1.ServerReflection/ServerReflectionInfo \
		grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo
	sed -n 's/^ *rpc \([A-Za-z0-9_]*\).*/kolo.identity.v1.IdentityService\/\1/p' \
		"$src/proto/kolo/identity/v1/identity.proto"
} | sort)"
got="$(bufcurl --list-methods "$identity" | sort)" || fail "buf curl --list-methods identity"
[ "$got" = "$want" ] || fail "identity lists methods:"$'\n'"$got"$'\n'"want:"$'\n'"$want"

got="$(bufcurl -d '{"service":"kolo.identity.v1.IdentityService"}' \
	"$identity/grpc.health.v1.Health/Check" | tr -d ' \n')" || fail "buf curl Health/Check"
[ "$got" = '{"status":"SERVING"}' ] || fail "Health/Check said $got"

got="$(bufcurl -d '{"email":"reflection@example.com","password":"a long enough pass","name":"Reflected"}' \
	"$identity/kolo.identity.v1.IdentityService/Register")" || fail "buf curl Register"
printf '%s' "$got" | grep -q '"email": "reflection@example.com"' || fail "Register answered $got"
printf '%s' "$got" | grep -q '"tokenType": "Bearer"' || fail "Register gave no token: $got"
# A method of another service is not found through this one's reflection.
if err="$(bufcurl -d '{}' "$identity/kolo.groups.v1.GroupsService/GetGroup" 2>&1)"; then
	fail "identity answered a groups method"
fi
printf '%s' "$err" | grep -q 'failed to find service named "kolo.groups.v1.GroupsService"' ||
	fail "GetGroup through identity: $err"

node "$src/tests/interop/reflection.mjs" "$src" "${args[@]}" || failed=1
kolo_testsuite_down
trap - EXIT
[ "$failed" -eq 0 ] || exit 1
echo "reflection: buf curl and grpc-js ok; every process stopped cleanly"
