# shellcheck shell=bash
# suite.sh: start and stop Kolo's services for scripts/run and the tests.
#
#   kolo_suite_secrets FILE KEYGEN    load FILE (KEY=VALUE lines), first
#                                     creating it with a fresh JWT key pair,
#                                     one service token per process
#                                     (KOLO_<PROCESS>_TOKEN) and one database
#                                     password per service role
#                                     (KOLO_<SERVICE>_DB_PASSWORD) and a
#                                     development PII key pair for KYC
#                                     (KOLO_PII_KEY, KOLO_PII_HASH_KEY) and
#                                     the partner webhooks' sealing key
#                                     (KOLO_WEBHOOK_SECRET_KEY), adding
#                                     any of these an older FILE lacks;
#                                     exports them
#   kolo_suite_start BINDIR RUNDIR DB start the six services (their
#                                     database URLs default to DB as each
#                                     service's own role) and the gateway,
#                                     each with its own KOLO_INTERNAL_TOKEN
#                                     and the token hashes of the callers it
#                                     accepts, and wait for their health;
#                                     kolo-events writes messages into
#                                     KOLO_MAIL_DIR (default RUNDIR/mail)
#   kolo_suite_stop RUNDIR            SIGTERM each, wait; fails if any
#                                     service did not exit 0
# Addresses come from KOLO_<SERVICE>_ADDR and KOLO_GATEWAY_ADDR (DESIGN §1
# defaults). KOLO_SUITE_PID[name] holds each process id.

KOLO_SERVICES=(identity groups ledger withdrawals payments events)
declare -A KOLO_DEFAULT_PORT=([identity]=7101 [groups]=7102 [ledger]=7103
	[withdrawals]=7104 [payments]=7105 [events]=7106)
declare -A KOLO_SUITE_PID=()

_kolo_upper() {
	echo "$1" | tr '[:lower:]' '[:upper:]'
}

# Exports KOLO_<SVC>_ADDR (default when unset) and echoes it.
kolo_suite_addr() {
	local var
	var="KOLO_$(_kolo_upper "$1")_ADDR"
	if [ -z "${!var:-}" ]; then
		export "$var=127.0.0.1:${KOLO_DEFAULT_PORT[$1]}"
	fi
	echo "${!var}"
}

# Every process that calls services, by its caller name (shared/rpc/callers.h).
KOLO_CALLERS=(identity groups ledger withdrawals payments gateway events)

_kolo_random_secret() {
	head -c 32 /dev/urandom | base64 | tr -d '=+/\n'
}

# Appends KEY=<fresh secret> to FILE unless FILE has KEY.
_kolo_secret_add() {
	local file="$1" key="$2"
	grep -q "^$key=" "$file" 2>/dev/null || echo "$key=$(_kolo_random_secret)" >>"$file"
}

# Appends a development PII key (KOLO_PII_KEY, key id "dev1") and hash key
# (KOLO_PII_HASH_KEY), 32 random bytes each in base64, unless FILE has them.
_kolo_pii_keys_add() {
	local file="$1"
	grep -q "^KOLO_PII_KEY=" "$file" 2>/dev/null ||
		echo "KOLO_PII_KEY=dev1:$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >>"$file"
	grep -q "^KOLO_PII_HASH_KEY=" "$file" 2>/dev/null ||
		echo "KOLO_PII_HASH_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '\n')" >>"$file"
}

# Appends the key partner webhook secrets are sealed with
# (KOLO_WEBHOOK_SECRET_KEY, 32 random bytes in hex) unless FILE has it.
_kolo_webhook_key_add() {
	local file="$1"
	grep -q "^KOLO_WEBHOOK_SECRET_KEY=" "$file" 2>/dev/null ||
		echo "KOLO_WEBHOOK_SECRET_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$file"
}

kolo_suite_secrets() {
	local file="$1" keygen="$2" name
	if [ ! -s "$file" ]; then
		(
			umask 077
			"$keygen" dev >"$file.tmp" && mv "$file.tmp" "$file"
		) || return 1
	fi
	(
		umask 077
		for name in "${KOLO_CALLERS[@]}"; do
			_kolo_secret_add "$file" "KOLO_$(_kolo_upper "$name")_TOKEN"
		done
		for name in "${KOLO_SERVICES[@]}"; do
			_kolo_secret_add "$file" "KOLO_$(_kolo_upper "$name")_DB_PASSWORD"
		done
		_kolo_pii_keys_add "$file"
		_kolo_webhook_key_add "$file"
	) || return 1
	set -a
	# shellcheck disable=SC1090
	. "$file"
	set +a
}

# The process's own service token (from kolo_suite_secrets).
kolo_suite_token() {
	local var
	var="KOLO_$(_kolo_upper "$1")_TOKEN"
	echo "${!var:?$var is not set: run kolo_suite_secrets}"
}

# KOLO_CALLER_TOKEN_HASHES for a server: name:sha256(token) of every caller.
# Hashes only, so no server holds another process's credential; what each
# caller may call is the table in shared/rpc/callers.c.
kolo_suite_caller_hashes() {
	local name out="" hash
	for name in "${KOLO_CALLERS[@]}"; do
		hash="$(printf '%s' "$(kolo_suite_token "$name")" | sha256sum | cut -d' ' -f1)" || return 1
		out="$out${out:+,}$name:$hash"
	done
	echo "$out"
}

# Runs a process of the suite with its own credential: PROCESS BINARY LOG.
# KOLO_<PROCESS>_METRICS_ADDR, when set, becomes its KOLO_METRICS_ADDR.
_kolo_suite_spawn() {
	local name="$1" binary="$2" log="$3" token hashes metrics
	token="$(kolo_suite_token "$name")" || return 1
	hashes="$(kolo_suite_caller_hashes)" || return 1
	metrics="KOLO_$(_kolo_upper "$name")_METRICS_ADDR"
	KOLO_METRICS_ADDR="${!metrics:-${KOLO_METRICS_ADDR:-}}" \
	KOLO_INTERNAL_TOKEN="$token" KOLO_CALLER_TOKEN_HASHES="$hashes" \
		"$binary" >>"$log" 2>&1 &
	KOLO_SUITE_PID[$name]=$!
}

# With KOLO_SUITE_READ_CONNINFO (conninfo words naming a hot standby of the
# suite's cluster, e.g. "host=/tmp/sb port=5631"): the services that read
# from a replica (groups, ledger, withdrawals) get their own URL with those
# words as KOLO_<SERVICE>_READ_DATABASE_URL, unless it is set already (the
# URLs in key=value form, as kolo_pg_url writes them).
kolo_suite_read_url() {
	local svc="$1" var
	case "$svc" in groups | ledger | withdrawals) ;; *) return 0 ;; esac
	[ -n "${KOLO_SUITE_READ_CONNINFO:-}" ] || return 0
	var="KOLO_$(_kolo_upper "$svc")_READ_DATABASE_URL"
	[ -z "${!var:-}" ] || return 0
	local url="KOLO_$(_kolo_upper "$svc")_DATABASE_URL"
	export "$var=${!url} $KOLO_SUITE_READ_CONNINFO"
}

kolo_suite_start() {
	local bindir="$1" rundir="$2" db="$3" svc var addr pw
	mkdir -p "$rundir"
	export KOLO_MAIL_DIR="${KOLO_MAIL_DIR:-$rundir/mail}"
	mkdir -p "$KOLO_MAIL_DIR"
	# Every address first: services dial each other by them.
	for svc in "${KOLO_SERVICES[@]}"; do
		kolo_suite_addr "$svc" >/dev/null
	done
	for svc in "${KOLO_SERVICES[@]}"; do
		var="KOLO_$(_kolo_upper "$svc")_DATABASE_URL"
		if [ -z "${!var:-}" ]; then
			pw="KOLO_$(_kolo_upper "$svc")_DB_PASSWORD"
			export "$var=$(kolo_pg_url "$db" "kolo_$svc" "${!pw:-}")"
		fi
		kolo_suite_read_url "$svc"
		_kolo_suite_spawn "$svc" "$bindir/services/$svc/kolo-$svc" "$rundir/$svc.log" || return 1
	done
	for svc in "${KOLO_SERVICES[@]}"; do
		addr="$(kolo_suite_addr "$svc")"
		if ! "$bindir/tools/health/kolo-health" --wait 20 "$addr" >/dev/null 2>&1; then
			echo "suite: kolo-$svc did not become healthy on $addr; its log:" >&2
			tail -n 20 "$rundir/$svc.log" >&2
			return 1
		fi
	done
	kolo_suite_start_gateway "$bindir" "$rundir"
}

# The gateway's URL (KOLO_GATEWAY_ADDR, default 127.0.0.1:8080).
kolo_suite_url() {
	echo "http://${KOLO_GATEWAY_ADDR:-127.0.0.1:8080}"
}

kolo_suite_start_gateway() {
	local bindir="$1" rundir="$2" i
	_kolo_suite_spawn gateway "$bindir/gateway/kolo-gateway" "$rundir/gateway.log" || return 1
	for i in $(seq 1 200); do
		if curl -fsS -o /dev/null "$(kolo_suite_url)/healthz" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "suite: kolo-gateway did not answer on $(kolo_suite_url); its log:" >&2
	tail -n 20 "$rundir/gateway.log" >&2
	return 1
}

kolo_suite_stop() {
	local rundir="$1" svc pid status failed=0
	for svc in "${!KOLO_SUITE_PID[@]}"; do
		kill -TERM "${KOLO_SUITE_PID[$svc]}" 2>/dev/null || true
	done
	for svc in "${!KOLO_SUITE_PID[@]}"; do
		pid="${KOLO_SUITE_PID[$svc]}"
		status=0
		wait "$pid" || status=$?
		if [ "$status" -ne 0 ]; then
			echo "suite: kolo-$svc exited with status $status; its log:" >&2
			tail -n 30 "$rundir/$svc.log" >&2
			failed=1
		fi
		unset "KOLO_SUITE_PID[$svc]"
	done
	return "$failed"
}
