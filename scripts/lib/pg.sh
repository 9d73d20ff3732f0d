# shellcheck shell=bash
# pg.sh: a private PostgreSQL 15 cluster for scripts/run and scripts/test.
#
# Source it; it defines functions only and never exits the caller's shell.
#   kolo_pg_install                    install postgresql-15 if it is missing
#   kolo_pg_start DIR PORT [on|off] [trust|private]
#                                      initdb DIR/data if needed and start it;
#                                      the third argument is fsync (default on;
#                                      tests may pass off, benchmarks must not),
#                                      the fourth authentication (below)
#   kolo_pg_stop DIR [fast|immediate]  stop it (already stopped is fine)
#   kolo_pg_url DBNAME [USER [PASSWORD]] print a libpq conninfo for the
#                                      running cluster (USER defaults to
#                                      postgres)
#   kolo_pg_start_standby PRIMARY_DIR PRIMARY_PORT DIR PORT [NAME [on|off]]
#                                      a streaming standby of the running
#                                      trust cluster in PRIMARY_DIR: a base
#                                      backup into DIR/data if there is none,
#                                      then start it (NAME, default
#                                      kolo_standby, is its application_name;
#                                      the last argument is fsync). Does not
#                                      touch PGHOST/PGPORT.
#   kolo_pg_sync DIR NAME              make the running cluster in DIR wait at
#                                      each commit for the standby NAME
#                                      (synchronous_commit on); NAME '' = none
#   kolo_pg_promote DIR                promote the standby in DIR and wait
#                                      until it takes writes
#   kolo_pg_kill DIR                   kill -9 the cluster's postmaster (its
#                                      backends then exit on their own)
# kolo_pg_start exports PGHOST (the socket folder DIR), PGPORT and PGUSER.
#
# PostgreSQL refuses to run as root. As root the cluster runs as the
# `postgres` system user (created by the Debian package), which must be able
# to reach DIR: a DIR below a 700 folder such as /root fails with a message.
# Authentication:
#   trust   (default; scripts/test's throwaway clusters) trust for the unix
#           socket and 127.0.0.1: nothing there outlives a test run.
#   private (scripts/run's cluster under .data/) no TCP listener at all
#           (listen_addresses = ''), only the unix socket in DIR; the
#           superuser postgres by peer authentication for the OS user who
#           started the cluster (and its owner), every other role by
#           scram-sha-256 password. pg_hba.conf and pg_ident.conf are
#           rewritten at each start, so an older trust cluster is closed too.

KOLO_PG_BIN="${KOLO_PG_BIN:-/usr/lib/postgresql/15/bin}"
KOLO_PG_SUPERUSER=postgres

_kolo_pg_err() {
	echo "pg: $*" >&2
}

# Runs a PostgreSQL binary as the cluster's owner, from inside DIR ($1) so
# that the owner never needs access to the caller's working folder.
_kolo_pg_as_owner() {
	local dir="${1:?}"
	shift
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$dir" && runuser -u postgres -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

kolo_pg_install() {
	if [ ! -x "$KOLO_PG_BIN/initdb" ]; then
		if [ "$(id -u)" -ne 0 ]; then
			_kolo_pg_err "postgresql-15 is missing and installing it needs root:" \
				"apt-get install postgresql-15"
			return 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
		# On Debian 12 postgresql-15 provides postgresql-contrib-15 (uuid-ossp).
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15 || return 1
	fi
	if [ ! -f /usr/share/postgresql/15/extension/uuid-ossp.control ]; then
		if [ "$(id -u)" -ne 0 ]; then
			_kolo_pg_err "the uuid-ossp extension is missing: apt-get install postgresql-contrib-15"
			return 1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-contrib-15 || return 1
	fi
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		_kolo_pg_err "the postgres system user is missing (it comes with the postgresql-common package)"
		return 1
	fi
	return 0
}

# Checks DIR and makes it the cluster owner's private folder.
_kolo_pg_prepare_dir() {
	local dir="${1:?}"
	case "$dir" in
	*[[:space:]]*)
		_kolo_pg_err "the cluster folder must not contain white space: $dir"
		return 1
		;;
	esac
	# A unix socket path is at most 107 bytes: DIR/.s.PGSQL.PORT must fit.
	if [ "${#dir}" -gt 90 ]; then
		_kolo_pg_err "the cluster folder path is too long for a unix socket (max 90 characters): $dir"
		return 1
	fi
	mkdir -p "$dir" || return 1
	if [ "$(id -u)" -eq 0 ]; then
		if ! id postgres >/dev/null 2>&1; then
			_kolo_pg_err "running as root needs the postgres system user (install postgresql-15)"
			return 1
		fi
		chown postgres:postgres "$dir" || return 1
		# 755: other local users may reach the socket; DIR/data stays 700.
		chmod 755 "$dir" || return 1
		if ! runuser -u postgres -- test -w "$dir"; then
			_kolo_pg_err "user postgres cannot reach $dir: a parent folder is not" \
				"world-traversable (e.g. /root is 700); put the cluster under /tmp or /var/tmp"
			return 1
		fi
		if [ -d "$dir/data" ]; then
			chown -R postgres:postgres "$dir/data" || return 1
		fi
	else
		chmod 755 "$dir" || return 1
	fi
	return 0
}

# Writes DIR/data's pg_hba.conf and pg_ident.conf for the private mode.
_kolo_pg_private_auth() {
	local dir="$1" me owner
	me="$(id -un)"
	owner="$me"
	[ "$(id -u)" -eq 0 ] && owner=postgres
	cat >"$dir/data/pg_hba.conf.tmp" <<-EOF || return 1
		# Written by scripts/lib/pg.sh (private): the unix socket only
		# (listen_addresses is empty), no trust.
		# TYPE  DATABASE  USER      METHOD
		local   all       postgres  peer map=kolo_owner
		local   all       all       scram-sha-256
	EOF
	cat >"$dir/data/pg_ident.conf.tmp" <<-EOF || return 1
		# Written by scripts/lib/pg.sh (private): who may be the superuser.
		kolo_owner  $me  postgres
		kolo_owner  $owner  postgres
	EOF
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres:postgres "$dir/data/pg_hba.conf.tmp" "$dir/data/pg_ident.conf.tmp" || return 1
	fi
	chmod 600 "$dir/data/pg_hba.conf.tmp" "$dir/data/pg_ident.conf.tmp" &&
		mv "$dir/data/pg_hba.conf.tmp" "$dir/data/pg_hba.conf" &&
		mv "$dir/data/pg_ident.conf.tmp" "$dir/data/pg_ident.conf"
}

kolo_pg_start() {
	local dir="${1:-}" port="${2:-}" fsync="${3:-on}" auth="${4:-trust}"
	local opts initdb_sync=() listen=127.0.0.1

	if [ -z "$dir" ] || [ -z "$port" ]; then
		_kolo_pg_err "usage: kolo_pg_start DIR PORT [on|off]"
		return 2
	fi
	case "$port" in
	'' | *[!0-9]*)
		_kolo_pg_err "port must be a number: $port"
		return 2
		;;
	esac
	case "$fsync" in
	on) ;;
	off) initdb_sync=(--no-sync) ;;
	*)
		_kolo_pg_err "fsync must be on or off: $fsync"
		return 2
		;;
	esac
	case "$auth" in
	trust) ;;
	private) listen="" ;;
	*)
		_kolo_pg_err "authentication must be trust or private: $auth"
		return 2
		;;
	esac
	if [ ! -x "$KOLO_PG_BIN/initdb" ]; then
		_kolo_pg_err "$KOLO_PG_BIN/initdb is missing: run kolo_pg_install"
		return 1
	fi
	mkdir -p "$dir" || return 1
	dir="$(cd "$dir" && pwd -P)" || return 1
	_kolo_pg_prepare_dir "$dir" || return 1

	if [ ! -f "$dir/data/PG_VERSION" ]; then
		_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/initdb" -D "$dir/data" \
			-U "$KOLO_PG_SUPERUSER" -A trust -E UTF8 --locale=C.UTF-8 \
			"${initdb_sync[@]}" >"$dir/initdb.log" 2>&1 || {
			_kolo_pg_err "initdb failed, see $dir/initdb.log"
			tail -n 20 "$dir/initdb.log" >&2
			return 1
		}
	fi

	if [ "$auth" = private ]; then
		_kolo_pg_private_auth "$dir" || return 1
	fi
	if _kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		: # already running (e.g. a second kolo_pg_start in the same run)
		if [ "$auth" = private ]; then
			_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" reload >/dev/null || return 1
		fi
	else
		opts="-p $port -k $dir -c listen_addresses='$listen'"
		if [ "$fsync" = off ]; then
			opts="$opts -c fsync=off"
		fi
		_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" \
			-w -t 30 -o "$opts" start >/dev/null || {
			_kolo_pg_err "the cluster in $dir did not start, see $dir/log"
			tail -n 20 "$dir/log" >&2 2>/dev/null
			return 1
		}
	fi
	export PGHOST="$dir" PGPORT="$port" PGUSER="$KOLO_PG_SUPERUSER"
	return 0
}

kolo_pg_stop() {
	local dir="${1:-}" mode="${2:-fast}"

	if [ -z "$dir" ]; then
		_kolo_pg_err "usage: kolo_pg_stop DIR [fast|immediate]"
		return 2
	fi
	if [ ! -f "$dir/data/postmaster.pid" ]; then
		return 0
	fi
	dir="$(cd "$dir" && pwd -P)" || return 1
	_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" -m "$mode" \
		-w -t 60 stop >/dev/null 2>&1 || true
	if [ -f "$dir/data/postmaster.pid" ] &&
		_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		_kolo_pg_err "the cluster in $dir did not stop"
		return 1
	fi
	return 0
}

kolo_pg_url() {
	local dbname="${1:-}" user="${2:-$KOLO_PG_SUPERUSER}" password="${3:-}"

	if [ -z "$dbname" ]; then
		_kolo_pg_err "usage: kolo_pg_url DBNAME [USER]"
		return 2
	fi
	if [ -z "${PGHOST:-}" ] || [ -z "${PGPORT:-}" ]; then
		_kolo_pg_err "PGHOST and PGPORT are not set: run kolo_pg_start first"
		return 1
	fi
	if [ -n "$password" ]; then
		printf 'host=%s port=%s dbname=%s user=%s password=%s\n' "$PGHOST" "$PGPORT" \
			"$dbname" "$user" "$password"
	else
		printf 'host=%s port=%s dbname=%s user=%s\n' "$PGHOST" "$PGPORT" "$dbname" "$user"
	fi
}

# SQL on the running cluster in DIR ($1) as the superuser, quietly.
_kolo_pg_sql() {
	local dir="$1" sql="$2" port
	port="$(sed -n 4p "$dir/data/postmaster.pid" 2>/dev/null)"
	[ -n "$port" ] || {
		_kolo_pg_err "no running cluster in $dir"
		return 1
	}
	psql -X -q -At -h "$dir" -p "$port" -U "$KOLO_PG_SUPERUSER" -d postgres \
		-v ON_ERROR_STOP=1 -c "$sql"
}

kolo_pg_start_standby() {
	local pdir="${1:-}" pport="${2:-}" dir="${3:-}" port="${4:-}"
	local name="${5:-kolo_standby}" fsync="${6:-on}" opts

	if [ -z "$pdir" ] || [ -z "$pport" ] || [ -z "$dir" ] || [ -z "$port" ]; then
		_kolo_pg_err "usage: kolo_pg_start_standby PRIMARY_DIR PRIMARY_PORT DIR PORT [NAME [on|off]]"
		return 2
	fi
	case "$name" in
	'' | *[!a-z0-9_]*)
		_kolo_pg_err "the standby name must be [a-z0-9_]+: $name"
		return 2
		;;
	esac
	pdir="$(cd "$pdir" && pwd -P)" || return 1
	mkdir -p "$dir" || return 1
	dir="$(cd "$dir" && pwd -P)" || return 1
	_kolo_pg_prepare_dir "$dir" || return 1
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_basebackup" -D "$dir/data" -X stream \
			-c fast -d "host=$pdir port=$pport user=$KOLO_PG_SUPERUSER" \
			>"$dir/basebackup.log" 2>&1 || {
			_kolo_pg_err "pg_basebackup from $pdir failed, see $dir/basebackup.log"
			tail -n 20 "$dir/basebackup.log" >&2
			return 1
		}
		# A standby of its own: it streams from the primary under NAME and,
		# once promoted, waits for no standby of its own.
		cat >>"$dir/data/postgresql.auto.conf" <<-EOF || return 1
			primary_conninfo = 'host=$pdir port=$pport user=$KOLO_PG_SUPERUSER application_name=$name'
			synchronous_standby_names = ''
		EOF
		_kolo_pg_as_owner "$dir" touch "$dir/data/standby.signal" || return 1
		rm -f "$dir/data/postmaster.pid" "$dir/data/postmaster.opts"
	fi
	if _kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		return 0
	fi
	opts="-p $port -k $dir -c listen_addresses='127.0.0.1' -c hot_standby=on"
	if [ "$fsync" = off ]; then
		opts="$opts -c fsync=off"
	fi
	_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" \
		-w -t 60 -o "$opts" start >/dev/null || {
		_kolo_pg_err "the standby in $dir did not start, see $dir/log"
		tail -n 20 "$dir/log" >&2 2>/dev/null
		return 1
	}
	return 0
}

kolo_pg_sync() {
	local dir="${1:-}" name="${2-}"

	if [ -z "$dir" ]; then
		_kolo_pg_err "usage: kolo_pg_sync DIR NAME"
		return 2
	fi
	case "$name" in
	*[!a-z0-9_]*)
		_kolo_pg_err "the standby name must be [a-z0-9_]*: $name"
		return 2
		;;
	esac
	_kolo_pg_sql "$dir" "ALTER SYSTEM SET synchronous_standby_names = '$name'" &&
		_kolo_pg_sql "$dir" "ALTER SYSTEM SET synchronous_commit = on" &&
		_kolo_pg_sql "$dir" "SELECT pg_reload_conf()" >/dev/null
}

kolo_pg_promote() {
	local dir="${1:-}" _

	if [ -z "$dir" ]; then
		_kolo_pg_err "usage: kolo_pg_promote DIR"
		return 2
	fi
	dir="$(cd "$dir" && pwd -P)" || return 1
	_kolo_pg_as_owner "$dir" "$KOLO_PG_BIN/pg_ctl" -D "$dir/data" -w -t 60 promote \
		>/dev/null || {
		_kolo_pg_err "promoting $dir failed, see $dir/log"
		return 1
	}
	for _ in $(seq 1 600); do
		[ "$(_kolo_pg_sql "$dir" "SELECT pg_is_in_recovery()")" = f ] && return 0
		sleep 0.1
	done
	_kolo_pg_err "$dir still in recovery after promote"
	return 1
}

kolo_pg_kill() {
	local dir="${1:-}" pid

	pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)"
	case "$pid" in
	'' | *[!0-9]*)
		_kolo_pg_err "no running cluster in $dir"
		return 1
		;;
	esac
	kill -9 "$pid"
}
