# shellcheck shell=bash
# devdb.sh: the database of scripts/run. Needs pg.sh and suite.sh.
#
#   kolo_devdb_up DATA PORT BUILD SRC  a private cluster in DATA/pg (pg.sh's
#                                      private mode: the unix socket only,
#                                      peer for the superuser, passwords for
#                                      everyone else), the kolo database
#                                      migrated, the secrets of
#                                      DATA/secrets.env loaded
#                                      (kolo_suite_secrets) and each service
#                                      role's password set from them, so
#                                      kolo_suite_start's URLs log in.

kolo_devdb_up() {
	local data="$1" port="$2" build="$3" src="$4" svc var admin
	kolo_pg_start "$data/pg" "$port" on private >/dev/null || return 1
	admin="$(kolo_pg_url postgres)" || return 1
	if [ -z "$("$KOLO_PG_BIN/psql" "$admin" -qAt \
		-c "SELECT 1 FROM pg_database WHERE datname = 'kolo'")" ]; then
		"$KOLO_PG_BIN/psql" "$admin" -q -c "CREATE DATABASE kolo" || return 1
	fi
	KOLO_DATABASE_URL="$(kolo_pg_url kolo)" \
		"$build/tools/migrate/kolo-migrate" --dir "$src/migrations" || return 1
	kolo_suite_secrets "$data/secrets.env" "$build/tools/keygen/kolo-keygen" || return 1
	for svc in "${KOLO_SERVICES[@]}"; do
		var="KOLO_$(_kolo_upper "$svc")_DB_PASSWORD"
		# A psql variable, quoted by psql: the password is never SQL text.
		echo "ALTER ROLE kolo_$svc PASSWORD :'pw';" |
			"$KOLO_PG_BIN/psql" "$admin" -q -v ON_ERROR_STOP=1 -v pw="${!var}" ||
			return 1
	done
}
