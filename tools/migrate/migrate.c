#include "migrate.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "mem/mem.h"

#define MIG_VERSION_MAX 9999
#define MIG_HEX_LEN	(crypto_hash_sha256_BYTES * 2)

typedef struct mig_file {
	int version;
	char name[MIG_NAME_MAX + 1];
	char *sql; /* the file's bytes, NUL-terminated */
	size_t len;
	char checksum[MIG_HEX_LEN + 1];
} mig_file;

typedef struct mig_set {
	mig_file *files;
	size_t count;
} mig_set;

/* Where a migration stands against schema_migrations. */
typedef enum {
	MIG_APPLIED,
	MIG_PENDING,
	MIG_CHANGED,
	MIG_RENAMED,
	MIG_MISSING,
	MIG_OUT_OF_ORDER,
} mig_state;

static const char *const mig_state_names[] = {
	"applied", "pending", "changed", "renamed", "missing", "out-of-order",
};

static const char mig_create_table_sql[] = "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
					   " version integer PRIMARY KEY CHECK (version > 0),"
					   " name text NOT NULL,"
					   " checksum text NOT NULL,"
					   " applied_at timestamptz NOT NULL DEFAULT now())";

static const char mig_applied_sql[] = "SELECT version, name, checksum,"
				      " to_char(applied_at AT TIME ZONE 'UTC',"
				      " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
				      " FROM public.schema_migrations ORDER BY version";

static bool
mig_is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int
mig_parse_name(bool *is_migration_out, int *version_out, char *name_out, const char *file_name)
{
	size_t len = strlen(file_name);
	size_t name_len, i;
	int version = 0;

	*is_migration_out = false;
	/* Hidden files (editor locks such as .#0001_x.sql) are not ours. */
	if (file_name[0] == '.' || len < 4 || strcmp(file_name + len - 4, ".sql") != 0)
		return 0;
	if (len < 4 + 1 + 1 + 4 || file_name[4] != '_')
		goto bad;
	for (i = 0; i < 4; i++) {
		if (file_name[i] < '0' || file_name[i] > '9')
			goto bad;
		version = version * 10 + (file_name[i] - '0');
	}
	name_len = len - 5 - 4;
	if (version < 1 || name_len > MIG_NAME_MAX)
		goto bad;
	for (i = 0; i < name_len; i++) {
		if (!mig_is_name_char(file_name[5 + i]))
			goto bad;
	}
	memcpy(name_out, file_name + 5, name_len);
	name_out[name_len] = '\0';
	*version_out = version;
	*is_migration_out = true;
	return 0;
bad:
	return err_set(ERR_INVALID_ARGUMENT, "bad_migration_name",
		       "malformed migration file name %s (expected "
		       "NNNN_name.sql, name in [a-z0-9_], NNNN from 0001)",
		       file_name);
}

static void
mig_set_free(mig_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		free(set->files[i].sql);
	free(set->files);
	set->files = NULL;
	set->count = 0;
}

static void
mig_checksum(mig_file *file)
{
	unsigned char hash[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(hash, (const unsigned char *)file->sql, file->len);
	sodium_bin2hex(file->checksum, sizeof(file->checksum), hash, sizeof(hash));
}

/* Reads exactly st_size bytes plus a probe byte that must hit EOF. */
static int
mig_read_fd(mig_file *file, int fd, size_t size, const char *file_name)
{
	size_t got = 0;
	ssize_t n;
	char probe;

	file->sql = xmalloc(size + 1);
	while (got < size) {
		n = read(fd, file->sql + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(ERR_INVALID_ARGUMENT, "migration_unreadable",
				       "cannot read migration %s", file_name);
		got += (size_t)n;
	}
	if (read(fd, &probe, 1) != 0)
		return err_set(ERR_INVALID_ARGUMENT, "migration_unreadable",
			       "migration %s changed while it was read", file_name);
	file->sql[size] = '\0';
	file->len = size;
	return 0;
}

static int
mig_read_file(mig_file *file, const char *dir, const char *file_name)
{
	int rc;
	int fd = -1;
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file_name) >= (int)sizeof(path)) {
		rc = err_set(ERR_INVALID_ARGUMENT, "migration_unreadable",
			     "path of migration %s is too long", file_name);
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = err_set(ERR_INVALID_ARGUMENT, "migration_unreadable",
			     "cannot open migration %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(ERR_INVALID_ARGUMENT, "migration_unreadable",
			     "migration %s is not a regular file", path);
		goto out;
	}
	if (st.st_size > MIG_FILE_MAX) {
		rc = err_set(ERR_INVALID_ARGUMENT, "migration_too_large",
			     "migration %s is %jd bytes, more than the %d "
			     "allowed",
			     file_name, (intmax_t)st.st_size, MIG_FILE_MAX);
		goto out;
	}
	rc = mig_read_fd(file, fd, (size_t)st.st_size, file_name);
	if (rc < 0)
		goto out;
	/* PQexec() takes a C string: a NUL would silently cut the file. */
	if (memchr(file->sql, '\0', file->len) != NULL) {
		rc = err_set(ERR_INVALID_ARGUMENT, "migration_unreadable",
			     "migration %s contains a NUL byte", file_name);
		goto out;
	}
	mig_checksum(file);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
mig_compare_version(const void *a, const void *b)
{
	const mig_file *fa = a, *fb = b;

	return (fa->version > fb->version) - (fa->version < fb->version);
}

/* Adds dir/file_name to set when it is a migration. */
static int
mig_scan_one(mig_set *set, const char *dir, const char *file_name)
{
	int rc;
	bool is_migration;
	int version = 0;
	char name[MIG_NAME_MAX + 1];
	mig_file *file;

	rc = mig_parse_name(&is_migration, &version, name, file_name);
	if (rc < 0 || !is_migration)
		return rc;
	if (set->count >= MIG_VERSION_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "too_many_migrations",
			       "more than %d migration files", MIG_VERSION_MAX);
	set->files = xrealloc(set->files, (set->count + 1) * sizeof(*set->files));
	file = &set->files[set->count];
	memset(file, 0, sizeof(*file));
	set->count++;
	file->version = version;
	memcpy(file->name, name, sizeof(file->name));
	return mig_read_file(file, dir, file_name);
}

static int
mig_check_duplicates(const mig_set *set)
{
	size_t i;

	for (i = 1; i < set->count; i++) {
		const mig_file *a = &set->files[i - 1], *b = &set->files[i];

		if (a->version == b->version)
			return err_set(ERR_INVALID_ARGUMENT, "duplicate_migration_version",
				       "migrations %04d_%s.sql and %04d_%s.sql "
				       "share the number %04d",
				       a->version, a->name, b->version, b->name, a->version);
	}
	return 0;
}

/* Reads every migration of dir, sorted by number. */
static int
mig_scan(mig_set *out, const char *dir)
{
	int rc = 0;
	DIR *d;
	struct dirent *entry;

	out->files = NULL;
	out->count = 0;
	d = opendir(dir);
	if (d == NULL)
		return err_set(ERR_INVALID_ARGUMENT, "migrations_dir_unreadable",
			       "cannot open the migrations folder %s: %s", dir, strerror(errno));
	for (;;) {
		errno = 0;
		entry = readdir(d);
		if (entry == NULL)
			break;
		rc = mig_scan_one(out, dir, entry->d_name);
		if (rc < 0)
			goto out;
	}
	if (errno != 0) {
		rc = err_set(ERR_INVALID_ARGUMENT, "migrations_dir_unreadable",
			     "cannot list the migrations folder %s: %s", dir, strerror(errno));
		goto out;
	}
	if (out->count > 0)
		qsort(out->files, out->count, sizeof(*out->files), mig_compare_version);
	rc = mig_check_duplicates(out);
out:
	closedir(d);
	if (rc < 0)
		mig_set_free(out);
	return rc;
}

static int
mig_connect(db_conn **out, const char *conninfo)
{
	char *parse_error = NULL;
	PQconninfoOption *options;

	/* Tell a malformed conninfo apart from an unreachable server. */
	options = PQconninfoParse(conninfo, &parse_error);
	PQfreemem(parse_error);
	if (options == NULL)
		return err_set(ERR_INVALID_ARGUMENT, "bad_conninfo",
			       "the database conninfo is malformed");
	PQconninfoFree(options);
	return db_connect(out, conninfo);
}

/* One row of schema_migrations. */
typedef struct mig_row {
	int version;
	const char *name;
	const char *checksum;
	const char *applied_at;
} mig_row;

static mig_row
mig_row_at(const PGresult *res, int i)
{
	mig_row row;

	row.version = atoi(PQgetvalue(res, i, 0));
	row.name = PQgetvalue(res, i, 1);
	row.checksum = PQgetvalue(res, i, 2);
	row.applied_at = PQgetvalue(res, i, 3);
	return row;
}

static void
mig_print(FILE *out, mig_state state, const mig_file *file, const mig_row *row)
{
	int version = file ? file->version : row->version;
	const char *name = file ? file->name : row->name;

	fprintf(out, "%04d_%s %s", version, name, mig_state_names[state]);
	if (state == MIG_APPLIED)
		fprintf(out, " %s sha256 %s", row->applied_at, row->checksum);
	else if (state == MIG_CHANGED)
		fprintf(out, " (applied sha256 %s, file sha256 %s)", row->checksum, file->checksum);
	else if (state == MIG_RENAMED)
		fprintf(out, " (applied as %04d_%s)", row->version, row->name);
	fputc('\n', out);
}

static int
mig_refuse(mig_state state, const mig_file *file, const mig_row *row, int newest_applied)
{
	switch (state) {
	case MIG_CHANGED:
		return err_set(ERR_FAILED_PRECONDITION, "migration_changed",
			       "migration %04d_%s.sql was changed after it was "
			       "applied (applied sha256 %s, file sha256 %s); "
			       "add a new migration instead",
			       file->version, file->name, row->checksum, file->checksum);
	case MIG_RENAMED:
		return err_set(ERR_FAILED_PRECONDITION, "migration_renamed",
			       "migration %04d_%s was applied but the file is "
			       "now %04d_%s.sql",
			       row->version, row->name, file->version, file->name);
	case MIG_MISSING:
		return err_set(ERR_FAILED_PRECONDITION, "migration_missing",
			       "migration %04d_%s is applied but its file "
			       "%04d_%s.sql is missing",
			       row->version, row->name, row->version, row->name);
	case MIG_OUT_OF_ORDER:
		return err_set(ERR_FAILED_PRECONDITION, "migration_out_of_order",
			       "migration %04d_%s.sql is pending but the later "
			       "migration %04d is already applied",
			       file->version, file->name, newest_applied);
	default:
		return 0;
	}
}

static mig_state
mig_classify(const mig_file *file, const mig_row *row, int newest_applied)
{
	if (file == NULL)
		return MIG_MISSING;
	if (row == NULL)
		return file->version < newest_applied ? MIG_OUT_OF_ORDER : MIG_PENDING;
	if (strcmp(file->name, row->name) != 0)
		return MIG_RENAMED;
	if (strcmp(file->checksum, row->checksum) != 0)
		return MIG_CHANGED;
	return MIG_APPLIED;
}

/* Walks the files and the applied rows together, both sorted by version.
 * With status_out, prints every line and fails at the end if something is
 * wrong; without, fails at the first problem. */
static int
mig_compare(const mig_set *set, const PGresult *applied, FILE *status_out)
{
	int rc = 0;
	int rows = applied ? PQntuples(applied) : 0;
	int newest = rows > 0 ? atoi(PQgetvalue(applied, rows - 1, 0)) : 0;
	size_t fi = 0;
	int ri = 0;

	while (fi < set->count || ri < rows) {
		const mig_file *file = fi < set->count ? &set->files[fi] : NULL;
		mig_row row_buf;
		const mig_row *row = NULL;
		mig_state state;

		if (ri < rows) {
			row_buf = mig_row_at(applied, ri);
			row = &row_buf;
		}
		if (file != NULL && row != NULL && row->version < file->version)
			file = NULL;
		else if (file != NULL && row != NULL && file->version < row->version)
			row = NULL;
		state = mig_classify(file, row, newest);
		if (file != NULL)
			fi++;
		if (row != NULL)
			ri++;
		if (status_out != NULL)
			mig_print(status_out, state, file, row);
		if (state != MIG_APPLIED && state != MIG_PENDING && rc == 0) {
			rc = mig_refuse(state, file, row, newest);
			if (status_out == NULL)
				return rc;
		}
	}
	return rc;
}

static int
mig_load_applied(db_conn *conn, PGresult **out)
{
	return db_exec(conn, out, mig_applied_sql, 0, NULL);
}

static bool
mig_is_applied(const PGresult *applied, int version)
{
	int i;

	for (i = 0; i < PQntuples(applied); i++) {
		if (atoi(PQgetvalue(applied, i, 0)) == version)
			return true;
	}
	return false;
}

/* Records why a migration's SQL failed. The server's message is kept: the
 * SQL is our own file, so it quotes no user data, and the operator needs
 * it to fix the file. Only its first line is used. */
static int
mig_sql_failed(const mig_file *file, const PGresult *res)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char first_line[160];

	snprintf(first_line, sizeof(first_line), "%s", primary ? primary : "connection lost");
	first_line[strcspn(first_line, "\r\n")] = '\0';
	return err_set(db_err_from_sqlstate(sqlstate), "migration_failed",
		       "migration %04d_%s.sql failed: %s (sqlstate %s)", file->version, file->name,
		       first_line, sqlstate ? sqlstate : "none");
}

static int
mig_exec_file(db_conn *conn, const mig_file *file)
{
	int rc;
	PGresult *res;
	PGconn *pg = db_pg(conn);

	/* PQexec, not a parameterised call: the text is our own migration
	 * file, trusted like the source code, and may hold many statements. */
	res = PQexec(pg, file->sql);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		rc = 0;
		break;
	default:
		rc = mig_sql_failed(file, res);
		break;
	}
	PQclear(res);
	if (rc == 0 && PQtransactionStatus(pg) != PQTRANS_INTRANS)
		rc = err_set(ERR_INVALID_ARGUMENT, "migration_has_transaction",
			     "migration %04d_%s.sql ended its transaction "
			     "(it must not contain BEGIN, COMMIT or ROLLBACK)",
			     file->version, file->name);
	return rc;
}

/* The file and its schema_migrations row in one transaction. Not db_tx():
 * a retry after a lost connection would run without the advisory lock,
 * which lives and dies with the session. */
static int
mig_apply_one(db_conn *conn, const mig_file *file, FILE *log)
{
	int rc;
	char version[16];
	const char *params[3];

	rc = db_run(conn, "BEGIN", 0, NULL);
	if (rc < 0)
		goto out;
	rc = mig_exec_file(conn, file);
	if (rc < 0)
		goto out;
	snprintf(version, sizeof(version), "%d", file->version);
	params[0] = version;
	params[1] = file->name;
	params[2] = file->checksum;
	rc = db_run(conn,
		    "INSERT INTO public.schema_migrations"
		    " (version, name, checksum) VALUES ($1, $2, $3)",
		    3, params);
	if (rc < 0)
		goto out;
	rc = db_run(conn, "COMMIT", 0, NULL);
	if (rc < 0)
		goto out;
	if (log != NULL)
		fprintf(log, "applied %04d_%s (sha256 %s)\n", file->version, file->name,
			file->checksum);
out:
	if (rc < 0 && PQtransactionStatus(db_pg(conn)) != PQTRANS_IDLE)
		PQclear(PQexec(db_pg(conn), "ROLLBACK"));
	return rc;
}

/* How long a migrator waits for another one's lock. */
#define MIG_LOCK_WAIT_MS (60 * 60 * 1000)

static int
mig_lock(db_conn *conn, FILE *log)
{
	int rc;
	char key[32];
	const char *params[1] = {key};
	PGresult *res = NULL;
	bool got;

	snprintf(key, sizeof(key), "%lld", (long long)MIG_LOCK_KEY);
	rc = db_exec(conn, &res, "SELECT pg_try_advisory_lock($1::bigint)", 1, params);
	if (rc < 0)
		return rc;
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got)
		return 0;
	if (log != NULL)
		fprintf(log, "waiting for another migrator to finish\n");
	/* Another migrator may run for long: past shared/db's cap
	 * (DB_WAIT_CAP_MS), but not for ever. */
	db_deadline_set(conn, MIG_LOCK_WAIT_MS);
	rc = db_run(conn, "SELECT pg_advisory_lock($1::bigint)", 1, params);
	db_deadline_set(conn, 0);
	return rc;
}

static void
mig_unlock(db_conn *conn)
{
	char key[32];
	const char *params[1] = {key};

	snprintf(key, sizeof(key), "%lld", (long long)MIG_LOCK_KEY);
	if (db_run(conn, "SELECT pg_advisory_unlock($1::bigint)", 1, params) < 0)
		return;
}

static int
mig_apply_pending(db_conn *conn, const mig_set *set, const PGresult *applied, FILE *log,
		  int *applied_out)
{
	int rc;
	size_t i;

	for (i = 0; i < set->count; i++) {
		if (mig_is_applied(applied, set->files[i].version))
			continue;
		rc = mig_apply_one(conn, &set->files[i], log);
		if (rc < 0)
			return rc;
		(*applied_out)++;
	}
	return 0;
}

int
mig_run(const char *conninfo, const char *dir, FILE *log, int *applied_out)
{
	int rc;
	int applied_count = 0;
	mig_set set = {0};
	db_conn *conn = NULL;
	PGresult *applied = NULL;
	bool locked = false;

	assert(conninfo != NULL && dir != NULL);
	if (sodium_init() < 0) {
		rc = err_set(ERR_INTERNAL, "sodium_init_failed", "libsodium failed to initialise");
		goto out;
	}
	rc = mig_scan(&set, dir);
	if (rc < 0)
		goto out;
	rc = mig_connect(&conn, conninfo);
	if (rc < 0)
		goto out;
	rc = mig_lock(conn, log);
	if (rc < 0)
		goto out;
	locked = true;
	rc = db_run(conn, mig_create_table_sql, 0, NULL);
	if (rc < 0)
		goto out;
	rc = mig_load_applied(conn, &applied);
	if (rc < 0)
		goto out;
	/* Every check passes before the first file is applied. */
	rc = mig_compare(&set, applied, NULL);
	if (rc < 0)
		goto out;
	rc = mig_apply_pending(conn, &set, applied, log, &applied_count);
out:
	/* On failure closing the session releases the lock, and an unlock
	 * that failed too would overwrite the error worth reporting. */
	if (locked && rc == 0)
		mig_unlock(conn);
	PQclear(applied);
	db_close(conn);
	mig_set_free(&set);
	if (applied_out != NULL)
		*applied_out = applied_count;
	return rc;
}

static int
mig_table_exists(db_conn *conn, bool *exists_out)
{
	int rc;
	PGresult *res = NULL;

	rc = db_exec(conn, &res, "SELECT to_regclass('public.schema_migrations') IS NOT NULL", 0,
		     NULL);
	if (rc < 0)
		return rc;
	*exists_out = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

int
mig_status(const char *conninfo, const char *dir, FILE *out)
{
	int rc;
	mig_set set = {0};
	db_conn *conn = NULL;
	PGresult *applied = NULL;
	bool exists = false;

	assert(conninfo != NULL && dir != NULL && out != NULL);
	if (sodium_init() < 0) {
		rc = err_set(ERR_INTERNAL, "sodium_init_failed", "libsodium failed to initialise");
		goto out;
	}
	rc = mig_scan(&set, dir);
	if (rc < 0)
		goto out;
	rc = mig_connect(&conn, conninfo);
	if (rc < 0)
		goto out;
	rc = mig_table_exists(conn, &exists);
	if (rc < 0)
		goto out;
	if (exists) {
		rc = mig_load_applied(conn, &applied);
		if (rc < 0)
			goto out;
	}
	rc = mig_compare(&set, applied, out);
out:
	PQclear(applied);
	db_close(conn);
	mig_set_free(&set);
	return rc;
}
