/* Integration tests of the migration tool (tools/migrate) and of the
 * migrations themselves (roles and grants), against a real PostgreSQL.
 *
 * KOLO_TEST_PG is the admin conninfo of a throwaway cluster (e.g.
 * "host=/tmp/x port=5499 user=postgres dbname=postgres"); without it the
 * program fails. Every test makes its own databases kolo_t_<pid>_<n>, all
 * dropped at the end. KOLO_SOURCE_DIR (compile definition) locates the
 * repository's migrations/; KOLO_MIGRATE_BIN, when defined, is the
 * kolo-migrate executable whose exit codes are checked too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "migrate/migrate.h"
#include "test_pg.h"

#ifndef KOLO_SOURCE_DIR
#error "KOLO_SOURCE_DIR must name the repository root"
#endif

#define MAX_DBS	    64
#define MAX_DIRS    32
#define SEED_TABLES 16

static const char *const seed_tables[SEED_TABLES] = {
	"user",
	"user_activity_log",
	"refresh_tokens",
	"transaction_pins",
	"group",
	"group_membership",
	"withdrawal_request",
	"account",
	"account_metadata",
	"ledger_entry",
	"payout",
	"payout_recovery",
	"approval",
	"webhook_event",
	"va_request",
	"va_recovery",
};

/* One NNNN_name.sql file of the repository's migrations/. */
typedef struct source_migration {
	int version;
	char name[MIG_NAME_MAX + 1];
} source_migration;

typedef struct fixture {
	char *dbs[MAX_DBS];
	char *conninfos[MAX_DBS];
	int ndbs;
	char *dirs[MAX_DIRS];
	int ndirs;
	/* The migrations of source_migrations, by version; found by group
	 * setup with the migrator's own naming rule, so a test applying that
	 * folder expects whatever it holds, however many files that is. */
	source_migration *sources;
	int nsources;
} fixture;

static fixture fx;
static const char source_migrations[] = KOLO_SOURCE_DIR "/migrations";

/* The migrations the tests of the migrator itself build on. They run on
 * copies of just these (new_dir(true)), so that the exact results they
 * check (counts, --status text, numbers of added files) stay the same
 * whatever migrations later services add to the repository. */
#define BASE_MIGRATIONS 2
static const char *const base_migrations[BASE_MIGRATIONS] = {
	"0001_seed.sql",
	"0002_roles.sql",
};

/* ---- helpers ---------------------------------------------------------- */

/* Every row of a query as "a|b|c\n" lines (malloc'd); fails on error. */
static char *
pg_dump(const char *conninfo, const char *sql)
{
	PGconn *pg = test_pg_connect(conninfo);
	PGresult *res = PQexec(pg, sql);
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int r, c;

	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(pg);
		fail();
	}
	f = open_memstream(&out, &len);
	if (f == NULL)
		abort();
	for (r = 0; r < PQntuples(res); r++) {
		for (c = 0; c < PQnfields(res); c++)
			fprintf(f, "%s%s", c ? "|" : "", PQgetvalue(res, r, c));
		fputc('\n', f);
	}
	fclose(f);
	PQclear(res);
	PQfinish(pg);
	return out;
}

/* The first field of a query on a fresh connection, as a long. */
static long
pg_long(const char *conninfo, const char *sql)
{
	PGconn *pg = test_pg_connect(conninfo);
	long n = test_pg_long(pg, sql);

	PQfinish(pg);
	return n;
}

/* Runs sql on pg and checks its SQLSTATE: want, "" for success. */
static void
assert_sqlstate(PGconn *pg, const char *sql, const char *want)
{
	char *state = test_pg_sqlstate(pg, sql);
	char have[8];

	snprintf(have, sizeof(have), "%s", state);
	free(state);
	if (strcmp(have, want) != 0)
		fail_msg("%s: sqlstate \"%s\", want \"%s\"", sql, have, want);
}

/* A new empty database; returns its conninfo (admin user), owned by fx. */
static const char *
new_db(void)
{
	char name[TEST_PG_NAME_MAX];
	int n = fx.ndbs;

	assert_true(n < MAX_DBS);
	assert_int_equal(test_pg_create_db(name, sizeof(name)), 0);
	fx.dbs[n] = strdup(name);
	fx.conninfos[n] = test_pg_conninfo(name, NULL);
	fx.ndbs++;
	assert_non_null(fx.dbs[n]);
	assert_non_null(fx.conninfos[n]);
	return fx.conninfos[n];
}

static const char *
db_name_of(const char *conninfo)
{
	int i;

	for (i = 0; i < fx.ndbs; i++) {
		if (fx.conninfos[i] == conninfo)
			return fx.dbs[i];
	}
	fail();
	return NULL;
}

static void
write_file(const char *dir, const char *name, const char *text, const char *mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, mode);
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void
copy_file(const char *from_dir, const char *to_dir, const char *name)
{
	char path[512], buf[8192];
	FILE *in, *out;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", from_dir, name);
	in = fopen(path, "rb");
	assert_non_null(in);
	snprintf(path, sizeof(path), "%s/%s", to_dir, name);
	out = fopen(path, "wb");
	assert_non_null(out);
	for (;;) {
		n = fread(buf, 1, sizeof(buf), in);
		if (n == 0)
			break;
		assert_int_equal(fwrite(buf, 1, n, out), n);
	}
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* A new temporary folder, optionally holding copies of base_migrations
 * (and no other file of migrations/). */
static const char *
new_dir(bool with_base)
{
	char tmpl[] = "/tmp/kolo_mig_XXXXXX";
	int i;

	assert_true(fx.ndirs < MAX_DIRS);
	assert_non_null(mkdtemp(tmpl));
	fx.dirs[fx.ndirs] = strdup(tmpl);
	assert_non_null(fx.dirs[fx.ndirs]);
	if (with_base) {
		for (i = 0; i < BASE_MIGRATIONS; i++)
			copy_file(source_migrations, tmpl, base_migrations[i]);
	}
	return fx.dirs[fx.ndirs++];
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *
sha256_of_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	crypto_hash_sha256_state st;
	unsigned char buf[8192], hash[crypto_hash_sha256_BYTES];
	char *hex = malloc(crypto_hash_sha256_BYTES * 2 + 1);
	size_t n;

	assert_non_null(f);
	crypto_hash_sha256_init(&st);
	for (;;) {
		n = fread(buf, 1, sizeof(buf), f);
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, n);
	}
	fclose(f);
	crypto_hash_sha256_final(&st, hash);
	sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, hash, sizeof(hash));
	return hex;
}

static const char migrations_sql[] =
	"SELECT version, name, checksum, applied_at FROM schema_migrations"
	" ORDER BY version";

static bool
table_exists(const char *conninfo, const char *table)
{
	char sql[160];
	long n;

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
		 " AND tablename = '%s'",
		 table);
	n = pg_long(conninfo, sql);
	return n == 1;
}

/* How many times needle occurs in text. */
static int
count_of(const char *text, const char *needle)
{
	size_t len = strlen(needle), size = strlen(text);
	int n = 0;

	for (size_t at = 0; len > 0 && at + len <= size; at++) {
		if (memcmp(text + at, needle, len) == 0) {
			n++;
			at += len - 1;
		}
	}
	return n;
}

/* The hex SHA-256 of source migration i (malloc'd). */
static char *
source_sha256(int i)
{
	char path[sizeof(source_migrations) + MIG_NAME_MAX + 16];

	snprintf(path, sizeof(path), "%s/%04d_%s.sql", source_migrations, fx.sources[i].version,
		 fx.sources[i].name);
	return sha256_of_file(path);
}

/* What schema_migrations holds after a run over source_migrations: one
 * "version|name|checksum" line per file, in order (malloc'd). */
static char *
source_rows(void)
{
	char *text = NULL, *sum;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int i;

	assert_non_null(f);
	for (i = 0; i < fx.nsources; i++) {
		sum = source_sha256(i);
		fprintf(f, "%d|%s|%s\n", fx.sources[i].version, fx.sources[i].name, sum);
		free(sum);
	}
	assert_int_equal(fclose(f), 0);
	return text;
}

/* Checks that status (mig_status() over source_migrations) lists every
 * source migration, in order, as "NNNN_name applied <time> sha256 <hex>"
 * with the file's own checksum, and nothing else. */
static void
assert_status_all_applied(const char *status)
{
	const char *line = status;
	char head[MIG_NAME_MAX + 16], tail[crypto_hash_sha256_BYTES * 2 + 16];
	char *sum;
	const char *end;
	size_t head_len, tail_len;
	int i;

	for (i = 0; i < fx.nsources; i++) {
		sum = source_sha256(i);
		snprintf(head, sizeof(head), "%04d_%s applied ", fx.sources[i].version,
			 fx.sources[i].name);
		snprintf(tail, sizeof(tail), " sha256 %s\n", sum);
		free(sum);
		head_len = strlen(head);
		tail_len = strlen(tail);
		end = strchr(line, '\n');
		if (end == NULL || strncmp(line, head, head_len) != 0 ||
		    (size_t)(end + 1 - line) < head_len + tail_len ||
		    strncmp(end + 1 - tail_len, tail, tail_len) != 0)
			fail_msg("status: want \"%s<time>%s\" as line %d "
				 "of:\n%s",
				 head, tail, i + 1, status);
		line = end + 1;
	}
	if (*line != '\0')
		fail_msg("status: lines after the %d migrations:\n%s", fx.nsources, line);
}

/* ---- fixtures --------------------------------------------------------- */

static int
compare_version(const void *a, const void *b)
{
	const source_migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/* Fills fx.sources with the migrations of source_migrations, by version,
 * classifying names with mig_parse_name() as mig_run() does. 0 or -1. */
static int
load_source_migrations(void)
{
	DIR *d = opendir(source_migrations);
	struct dirent *e;
	source_migration m, *grown;
	bool is_migration;
	int cap = 0;

	if (d == NULL) {
		fprintf(stderr, "cannot read %s\n", source_migrations);
		return -1;
	}
	for (;;) {
		e = readdir(d);
		if (e == NULL)
			break;
		if (mig_parse_name(&is_migration, &m.version, m.name, e->d_name) < 0) {
			fprintf(stderr, "%s: %s\n", source_migrations, err_last()->message);
			closedir(d);
			return -1;
		}
		if (!is_migration)
			continue;
		if (fx.nsources == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(fx.sources, (size_t)cap * sizeof(m));
			if (grown == NULL)
				abort();
			fx.sources = grown;
		}
		fx.sources[fx.nsources++] = m;
	}
	closedir(d);
	if (fx.nsources > 0)
		qsort(fx.sources, (size_t)fx.nsources, sizeof(m), compare_version);
	/* The tests of the migrator copy these; the grants tests need them
	 * applied before anything else. */
	if (fx.nsources < BASE_MIGRATIONS || fx.sources[0].version != 1 ||
	    strcmp(fx.sources[0].name, "seed") != 0 || fx.sources[1].version != 2 ||
	    strcmp(fx.sources[1].name, "roles") != 0) {
		fprintf(stderr, "%s must start with %s and %s\n", source_migrations,
			base_migrations[0], base_migrations[1]);
		return -1;
	}
	return 0;
}

static int
group_setup(void **state)
{
	const char *admin = test_pg_admin();

	(void)state;
	if (admin == NULL)
		return -1;
	if (sodium_init() < 0)
		return -1;
	if (load_source_migrations() < 0)
		return -1;
	PQfinish(test_pg_connect(admin));
	return 0;
}

static int
group_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < fx.ndbs; i++) {
		test_pg_drop_db(fx.dbs[i]);
		free(fx.dbs[i]);
		free(fx.conninfos[i]);
	}
	for (i = 0; i < fx.ndirs; i++) {
		(void)nftw(fx.dirs[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		free(fx.dirs[i]);
	}
	free(fx.sources);
	db_thread_close();
	return 0;
}

/* ---- file names ------------------------------------------------------- */

static void
test_parse_name(void **state)
{
	static const struct {
		const char *file;
		int rc;
		bool is_migration;
		int version;
		const char *name;
	} cases[] = {
		{"0001_seed.sql", 0, true, 1, "seed"},
		{"0002_roles.sql", 0, true, 2, "roles"},
		{"9999_a_b_9.sql", 0, true, 9999, "a_b_9"},
		{"README.md", 0, false, 0, NULL},
		{"0001_seed.sql~", 0, false, 0, NULL},
		{".#0001_seed.sql", 0, false, 0, NULL},
		{"0001_seed.SQL", 0, false, 0, NULL},
		{"1_seed.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{"00001_seed.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{"0001-seed.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{"0001_.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{"0001_Seed.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{"0001_se-ed.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{"0000_zero.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{"abcd_seed.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
		{".sql", 0, false, 0, NULL},
		{"x.sql", ERR_INVALID_ARGUMENT, false, 0, NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool is_migration = !cases[i].is_migration;
		int version = -1;
		char name[MIG_NAME_MAX + 1] = "";
		int rc = mig_parse_name(&is_migration, &version, name, cases[i].file);

		if (rc != cases[i].rc || is_migration != cases[i].is_migration)
			fail_msg("%s: rc %d is_migration %d", cases[i].file, rc, is_migration);
		if (cases[i].is_migration) {
			assert_int_equal(version, cases[i].version);
			assert_string_equal(name, cases[i].name);
		}
		if (rc < 0)
			assert_non_null(strstr(err_last()->message, cases[i].file));
	}
}

/* ---- applying --------------------------------------------------------- */

static void
test_apply_to_empty_database(void **state)
{
	const char *db = new_db();
	char *rows, *want;
	int applied = -1;
	int i;

	(void)state;
	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	assert_int_equal(applied, fx.nsources);
	for (i = 0; i < SEED_TABLES; i++) {
		if (!table_exists(db, seed_tables[i]))
			fail_msg("table %s missing", seed_tables[i]);
	}
	/* Every file of the folder, each with its own checksum. */
	want = source_rows();
	rows = pg_dump(db, "SELECT version, name, checksum FROM"
			   " schema_migrations ORDER BY version");
	assert_string_equal(rows, want);
	free(rows);
	free(want);
}

static void
test_seed_is_the_shared_schema_verbatim(void **state)
{
	char *ours, *theirs;

	(void)state;
	ours = sha256_of_file(KOLO_SOURCE_DIR "/migrations/0001_seed.sql");
	/* The seed lives outside the repository on the build machines; when
	 * it is absent there is nothing to compare with. */
	if (access(KOLO_SOURCE_DIR "/../shared/seed/schema.sql", R_OK) != 0) {
		free(ours);
		return;
	}
	theirs = sha256_of_file(KOLO_SOURCE_DIR "/../shared/seed/schema.sql");
	assert_string_equal(ours, theirs);
	free(ours);
	free(theirs);
}

static void
test_reapply_changes_nothing(void **state)
{
	const char *db = new_db();
	char *before, *after, *schema_before, *schema_after;
	int applied = -1;
	static const char schema_sql[] =
		"SELECT c.relname, c.relkind, c.relacl::text FROM pg_class c"
		" JOIN pg_namespace n ON n.oid = c.relnamespace"
		" WHERE n.nspname = 'public' ORDER BY 1";

	(void)state;
	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	before = pg_dump(db, migrations_sql);
	schema_before = pg_dump(db, schema_sql);
	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	assert_int_equal(applied, 0);
	after = pg_dump(db, migrations_sql);
	schema_after = pg_dump(db, schema_sql);
	assert_string_equal(before, after);
	assert_string_equal(schema_before, schema_after);
	free(before);
	free(after);
	free(schema_before);
	free(schema_after);
}

static void
test_tampered_file_refused(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(true);
	char *before, *after, *status = NULL;
	size_t status_len = 0;
	FILE *out;
	int applied = -1;

	(void)state;
	assert_int_equal(mig_run(db, dir, NULL, &applied), 0);
	assert_int_equal(applied, 2);
	before = pg_dump(db, migrations_sql);
	write_file(dir, "0002_roles.sql", "-- an innocent edit\n", "a");
	write_file(dir, "0003_extra.sql", "CREATE TABLE extra_t (id int);\n", "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_FAILED_PRECONDITION);
	assert_int_equal(applied, 0);
	assert_string_equal(err_last()->reason, "migration_changed");
	assert_non_null(strstr(err_last()->message, "0002_roles"));
	/* Nothing applied: not even the new, valid 0003. */
	after = pg_dump(db, migrations_sql);
	assert_string_equal(before, after);
	assert_false(table_exists(db, "extra_t"));

	out = open_memstream(&status, &status_len);
	assert_non_null(out);
	assert_int_equal(mig_status(db, dir, out), ERR_FAILED_PRECONDITION);
	fclose(out);
	assert_non_null(strstr(status, "0001_seed applied "));
	assert_non_null(strstr(status, "0002_roles changed "));
	assert_non_null(strstr(status, "0003_extra pending\n"));
	free(status);
	free(before);
	free(after);
}

static void
test_missing_and_renamed_files_refused(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(true);
	char path[512], renamed[512];
	int applied = -1;

	(void)state;
	assert_int_equal(mig_run(db, dir, NULL, &applied), 0);
	snprintf(path, sizeof(path), "%s/0002_roles.sql", dir);
	snprintf(renamed, sizeof(renamed), "%s/0002_grants.sql", dir);
	assert_int_equal(rename(path, renamed), 0);
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "migration_renamed");
	assert_non_null(strstr(err_last()->message, "0002_roles"));
	assert_int_equal(unlink(renamed), 0);
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "migration_missing");
	assert_non_null(strstr(err_last()->message, "0002_roles"));
	assert_int_equal(pg_long(db, "SELECT count(*) FROM schema_migrations"), 2);
}

static void
test_out_of_order_file_refused(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(true);
	int applied = -1;

	(void)state;
	write_file(dir, "0005_later.sql", "CREATE TABLE later_t (id int);\n", "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), 0);
	assert_int_equal(applied, 3);
	write_file(dir, "0003_between.sql", "CREATE TABLE between_t (id int);\n", "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "migration_out_of_order");
	assert_non_null(strstr(err_last()->message, "0003_between"));
	assert_false(table_exists(db, "between_t"));
}

static void
test_bad_folder_contents_refused(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(true);
	char path[512];
	int applied = -1;

	(void)state;
	/* Other files are ignored. */
	write_file(dir, "README.md", "not sql\n", "w");
	write_file(dir, "0001_seed.sql.orig", "not sql either\n", "w");
	/* A malformed *.sql name is an error... */
	write_file(dir, "3_typo.sql", "SELECT 1;\n", "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_migration_name");
	assert_non_null(strstr(err_last()->message, "3_typo.sql"));
	snprintf(path, sizeof(path), "%s/3_typo.sql", dir);
	assert_int_equal(unlink(path), 0);
	/* ...and so are two files with one number. */
	write_file(dir, "0003_a.sql", "SELECT 1;\n", "w");
	write_file(dir, "0003_b.sql", "SELECT 1;\n", "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "duplicate_migration_version");
	assert_non_null(strstr(err_last()->message, "0003_a.sql"));
	assert_non_null(strstr(err_last()->message, "0003_b.sql"));
	/* The folder is checked before the database is touched. */
	assert_false(table_exists(db, "schema_migrations"));
	assert_int_equal(mig_run(db, "/nonexistent/kolo/migrations", NULL, &applied),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "migrations_dir_unreadable");
}

static void
test_oversized_file_refused(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(false);
	char path[512];
	int fd;
	int applied = -1;

	(void)state;
	snprintf(path, sizeof(path), "%s/0001_big.sql", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, MIG_FILE_MAX + 1), 0);
	close(fd);
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "migration_too_large");
	assert_non_null(strstr(err_last()->message, "0001_big.sql"));
}

static void
test_failed_migration_rolls_back(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(true);
	int applied = -1;

	(void)state;
	write_file(dir, "0003_bad.sql",
		   "CREATE TABLE half_done (id int);\n"
		   "SELECT no_such_column FROM half_done;\n",
		   "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_INTERNAL);
	assert_string_equal(err_last()->reason, "migration_failed");
	assert_non_null(strstr(err_last()->message, "0003_bad"));
	assert_non_null(strstr(err_last()->message, "42703"));
	assert_int_equal(applied, 2);
	assert_false(table_exists(db, "half_done"));
	assert_int_equal(pg_long(db, "SELECT max(version) FROM"
				     " schema_migrations"),
			 2);
	/* Fixed before it was ever applied: it goes in. */
	write_file(dir, "0003_bad.sql", "CREATE TABLE half_done (id int);\n", "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), 0);
	assert_int_equal(applied, 1);
	assert_true(table_exists(db, "half_done"));
}

/* A database that held entries before ledger_balance existed (0005) gets
 * every group's balance from its entries (0008), including a balance row
 * that counted only the entries made since. */
static void
test_balances_are_backfilled_from_entries(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(false);
	char file[MIG_NAME_MAX + 32];
	PGconn *pg;
	int applied = -1;

	(void)state;
	for (int i = 0; i < fx.nsources && fx.sources[i].version < 8; i++) {
		snprintf(file, sizeof(file), "%04d_%s.sql", fx.sources[i].version,
			 fx.sources[i].name);
		copy_file(source_migrations, dir, file);
	}
	assert_int_equal(mig_run(db, dir, NULL, &applied), 0);
	pg = test_pg_connect(db);
	assert_sqlstate(pg,
			"INSERT INTO \"user\" (id, email, password_hash, name) VALUES"
			" ('00000000-0000-4000-8000-000000000001', 'a@example.com', 'x', 'A');"
			"INSERT INTO \"group\" (id, name, created_by) VALUES"
			" ('00000000-0000-4000-8000-0000000000a1', 'A', "
			"'00000000-0000-4000-8000-000000000001'),"
			" ('00000000-0000-4000-8000-0000000000a2', 'B', "
			"'00000000-0000-4000-8000-000000000001');"
			"INSERT INTO account (id, group_id, virtual_account_number) VALUES"
			" ('00000000-0000-4000-8000-0000000000c1', "
			"'00000000-0000-4000-8000-0000000000a1', '1000000001'),"
			" ('00000000-0000-4000-8000-0000000000c2', "
			"'00000000-0000-4000-8000-0000000000a2', '1000000002');"
			"INSERT INTO ledger_entry (group_id, account_id, type, amount_kobo, "
			"reference) VALUES"
			" ('00000000-0000-4000-8000-0000000000a1', "
			"'00000000-0000-4000-8000-0000000000c1', 'CREDIT', 50000, 'r1'),"
			" ('00000000-0000-4000-8000-0000000000a1', "
			"'00000000-0000-4000-8000-0000000000c1', 'DEBIT', 20000, 'r2'),"
			" ('00000000-0000-4000-8000-0000000000a2', "
			"'00000000-0000-4000-8000-0000000000c2', 'CREDIT', 700, 'r3');"
			/* B's row knows only its latest credit. */
			"INSERT INTO ledger_balance (group_id, balance_kobo, credits_kobo, entries)"
			" VALUES ('00000000-0000-4000-8000-0000000000a2', 300, 300, 1);"
			"INSERT INTO ledger_entry (group_id, account_id, type, amount_kobo, "
			"reference) VALUES"
			" ('00000000-0000-4000-8000-0000000000a2', "
			"'00000000-0000-4000-8000-0000000000c2', 'CREDIT', 300, 'r4');",
			"");
	PQfinish(pg);
	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	assert_true(applied >= 1);
	assert_int_equal(pg_long(db, "SELECT count(*) FROM ledger_balance WHERE"
				     " (group_id = '00000000-0000-4000-8000-0000000000a1'"
				     "  AND balance_kobo = 30000 AND credits_kobo = 50000"
				     "  AND debits_kobo = 20000 AND entries = 2) OR"
				     " (group_id = '00000000-0000-4000-8000-0000000000a2'"
				     "  AND balance_kobo = 1000 AND credits_kobo = 1000"
				     "  AND debits_kobo = 0 AND entries = 2)"),
			 2);
}

/* The type of public.<table>.<column>, e.g. "bigint" (malloc'd). */
static char *
column_type(const char *conninfo, const char *table, const char *column)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public'"
		 " AND table_name = '%s' AND column_name = '%s'",
		 table, column);
	return pg_dump(conninfo, sql);
}

/* 0019: the seed's integer amounts widen to bigint with every row's value
 * and every check kept; ₦250 m (25,000,000,000 kobo) then fits. */
static void
test_amounts_widen_to_bigint_keeping_values(void **state)
{
	static const char *const amount_tables[] = {"ledger_entry", "withdrawal_request", "payout"};
	const char *db = new_db();
	const char *dir = new_dir(false);
	char file[MIG_NAME_MAX + 32];
	PGconn *pg;
	char *text;
	int applied = -1;

	(void)state;
	for (int i = 0; i < fx.nsources && fx.sources[i].version < 19; i++) {
		snprintf(file, sizeof(file), "%04d_%s.sql", fx.sources[i].version,
			 fx.sources[i].name);
		copy_file(source_migrations, dir, file);
	}
	assert_int_equal(mig_run(db, dir, NULL, &applied), 0);
	text = column_type(db, "ledger_entry", "amount_kobo");
	assert_string_equal(text, "integer\n");
	free(text);
	pg = test_pg_connect(db);
	assert_sqlstate(
		pg,
		"INSERT INTO \"user\" (id, email, password_hash, name) VALUES"
		" ('00000000-0000-4000-8000-000000000001', 'a@example.com', 'x', 'A');"
		"INSERT INTO \"group\" (id, name, created_by) VALUES"
		" ('00000000-0000-4000-8000-0000000000a1', 'A', "
		"'00000000-0000-4000-8000-000000000001');"
		"INSERT INTO account (id, group_id, virtual_account_number) VALUES"
		" ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000a1', "
		"'1000000001');"
		"INSERT INTO ledger_entry (group_id, account_id, type, amount_kobo, reference) "
		"VALUES"
		" ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1', "
		"'CREDIT', 2147483647, 'r1'),"
		" ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1', "
		"'DEBIT', 1, 'r2');"
		"INSERT INTO withdrawal_request (id, group_id, amount_kobo, beneficiary, "
		"requested_by) VALUES"
		" ('00000000-0000-4000-8000-0000000000d1', '00000000-0000-4000-8000-0000000000a1', "
		"2147483646, '{}',"
		"  '00000000-0000-4000-8000-000000000001');"
		"INSERT INTO payout (withdrawal_id, provider, amount_kobo, beneficiary, status) "
		"VALUES"
		" ('00000000-0000-4000-8000-0000000000d1', 'demo', 2147483646, '{}', 'PENDING');",
		"");
	/* What the integer columns refused. */
	assert_sqlstate(
		pg,
		"INSERT INTO ledger_entry (group_id, account_id, type, amount_kobo, reference) "
		"VALUES"
		" ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1',"
		" 'CREDIT', 25000000000, 'r-too-big')",
		"22003");
	PQfinish(pg);

	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	assert_true(applied >= 1);
	for (size_t i = 0; i < sizeof(amount_tables) / sizeof(amount_tables[0]); i++) {
		text = column_type(db, amount_tables[i], "amount_kobo");
		assert_string_equal(text, "bigint\n");
		free(text);
	}
	text = pg_dump(db, "SELECT reference, amount_kobo FROM ledger_entry ORDER BY reference");
	assert_string_equal(text, "r1|2147483647\nr2|1\n");
	free(text);
	assert_int_equal(pg_long(db, "SELECT amount_kobo FROM withdrawal_request"), 2147483646L);
	assert_int_equal(pg_long(db, "SELECT amount_kobo FROM payout"), 2147483646L);
	pg = test_pg_connect(db);
	assert_sqlstate(
		pg,
		"INSERT INTO ledger_entry (group_id, account_id, type, amount_kobo, reference) "
		"VALUES"
		" ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1',"
		" 'CREDIT', 25000000000, 'r3');"
		"UPDATE withdrawal_request SET amount_kobo = 25000000000;"
		"UPDATE payout SET amount_kobo = 25000000000",
		"");
	/* The seed's checks and 0005's still hold. */
	assert_sqlstate(
		pg,
		"INSERT INTO ledger_entry (group_id, account_id, type, amount_kobo, reference) "
		"VALUES"
		" ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1',"
		" 'CREDIT', 0, 'r-zero')",
		"23514");
	assert_sqlstate(pg, "UPDATE withdrawal_request SET amount_kobo = 0", "23514");
	assert_sqlstate(pg, "UPDATE payout SET amount_kobo = -1", "23514");
	PQfinish(pg);
	assert_int_equal(pg_long(db, "SELECT sum(amount_kobo) FROM ledger_entry"),
			 2147483647L + 1 + 25000000000L);
}

static void
test_transaction_control_in_file_refused(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(false);
	int applied = -1;

	(void)state;
	write_file(dir, "0001_commits.sql", "CREATE TABLE t1 (id int);\nCOMMIT;\n", "w");
	assert_int_equal(mig_run(db, dir, NULL, &applied), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "migration_has_transaction");
	assert_non_null(strstr(err_last()->message, "0001_commits"));
	assert_int_equal(pg_long(db, "SELECT count(*) FROM schema_migrations"), 0);
}

typedef struct migrator {
	const char *conninfo;
	pthread_barrier_t *start;
	int rc;
	int applied;
} migrator;

static void *
migrator_main(void *arg)
{
	migrator *m = arg;

	pthread_barrier_wait(m->start);
	m->rc = mig_run(m->conninfo, source_migrations, NULL, &m->applied);
	return NULL;
}

static void
test_concurrent_migrators_apply_once(void **state)
{
	enum { N = 4, ROUNDS = 3 };
	int round, i;

	(void)state;
	for (round = 0; round < ROUNDS; round++) {
		const char *db = new_db();
		pthread_barrier_t start;
		pthread_t threads[N];
		migrator m[N];
		int total = 0;

		assert_int_equal(pthread_barrier_init(&start, NULL, N), 0);
		for (i = 0; i < N; i++) {
			m[i] = (migrator){.conninfo = db, .start = &start};
			assert_int_equal(pthread_create(&threads[i], NULL, migrator_main, &m[i]),
					 0);
		}
		for (i = 0; i < N; i++)
			pthread_join(threads[i], NULL);
		pthread_barrier_destroy(&start);
		for (i = 0; i < N; i++) {
			if (m[i].rc != 0)
				fail_msg("migrator %d failed: %d", i, m[i].rc);
			total += m[i].applied;
		}
		assert_int_equal(total, fx.nsources);
		assert_int_equal(pg_long(db, "SELECT count(*) FROM"
					     " schema_migrations"),
				 fx.nsources);
	}
}

/* mig_status() output (malloc'd), checking its return code. */
static char *
status_of(const char *db, const char *dir, int want_rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(mig_status(db, dir, out), want_rc);
	assert_int_equal(fclose(out), 0);
	return text;
}

static void
test_status_lists_applied_and_pending(void **state)
{
	const char *db = new_db();
	const char *full_db = new_db();
	const char *dir = new_dir(true);
	char *text, *want = NULL;
	size_t want_len = 0;
	FILE *f;
	int applied = -1;
	int i;

	(void)state;
	text = status_of(db, dir, 0);
	assert_string_equal(text, "0001_seed pending\n0002_roles pending\n");
	free(text);
	/* --status changes nothing. */
	assert_false(table_exists(db, "schema_migrations"));

	assert_int_equal(mig_run(db, dir, NULL, &applied), 0);
	text = status_of(db, dir, 0);
	assert_true(strncmp(text, "0001_seed applied ", 18) == 0);
	assert_non_null(strstr(text, "\n0002_roles applied "));
	assert_int_equal(count_of(text, "\n"), BASE_MIGRATIONS);
	free(text);

	/* The repository's own folder, whatever it holds: every file pending,
	 * then every file applied. */
	f = open_memstream(&want, &want_len);
	assert_non_null(f);
	for (i = 0; i < fx.nsources; i++)
		fprintf(f, "%04d_%s pending\n", fx.sources[i].version, fx.sources[i].name);
	assert_int_equal(fclose(f), 0);
	text = status_of(full_db, source_migrations, 0);
	assert_string_equal(text, want);
	free(text);
	free(want);
	assert_false(table_exists(full_db, "schema_migrations"));
	assert_int_equal(mig_run(full_db, source_migrations, NULL, &applied), 0);
	text = status_of(full_db, source_migrations, 0);
	assert_status_all_applied(text);
	free(text);
}

/* ---- roles and grants ------------------------------------------------- */

typedef struct grant {
	const char *role;
	const char *table;
	const char *privileges; /* S I U D */
} grant;

static const grant grants[] = {
	{"kolo_identity", "user", "SIU"},
	{"kolo_identity", "user_activity_log", "SI"},
	{"kolo_identity", "refresh_tokens", "SIU"},
	{"kolo_identity", "transaction_pins", "SIU"},
	{"kolo_groups", "group", "SIUD"},
	{"kolo_groups", "group_membership", "SIUD"},
	{"kolo_ledger", "ledger_entry", "SI"},
	{"kolo_withdrawals", "withdrawal_request", "SIU"},
	{"kolo_withdrawals", "approval", "SI"},
	{"kolo_payments", "account", "SIU"},
	{"kolo_payments", "account_metadata", "SIU"},
	{"kolo_payments", "payout", "SIU"},
	{"kolo_payments", "payout_recovery", "SIU"},
	{"kolo_payments", "webhook_event", "SIU"},
	{"kolo_payments", "va_request", "SIU"},
	{"kolo_payments", "va_recovery", "SIU"},
	/* 0016: each service waits for the migrations with its own role
	 * (k8s wait-for-migrations): it reads schema_migrations, no more. */
	{"kolo_identity", "schema_migrations", "S"},
	{"kolo_groups", "schema_migrations", "S"},
	{"kolo_ledger", "schema_migrations", "S"},
	{"kolo_withdrawals", "schema_migrations", "S"},
	{"kolo_payments", "schema_migrations", "S"},
};

static bool
granted(const char *role, const char *table, char priv)
{
	size_t i;

	for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++) {
		if (strcmp(grants[i].role, role) == 0 && strcmp(grants[i].table, table) == 0)
			return strchr(grants[i].privileges, priv) != NULL;
	}
	return false;
}

/* Every role x table x privilege, against the grants above: each service
 * role holds exactly its own tables, PUBLIC holds nothing. */
static void
test_each_role_is_granted_only_its_tables(void **state)
{
	static const char *const roles[] = {
		"kolo_identity",    "kolo_groups",   "kolo_ledger",
		"kolo_withdrawals", "kolo_payments", "public",
	};
	static const struct {
		char letter;
		const char *name;
	} privs[] = {
		{'S', "SELECT"},   {'I', "INSERT"},	{'U', "UPDATE"},  {'D', "DELETE"},
		{'T', "TRUNCATE"}, {'R', "REFERENCES"}, {'G', "TRIGGER"},
	};
	const char *db = new_db();
	PGconn *pg;
	int applied = -1;
	size_t r, p;
	int t;

	(void)state;
	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	pg = test_pg_connect(db);
	for (r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
		for (t = 0; t <= SEED_TABLES; t++) {
			const char *table = t < SEED_TABLES ? seed_tables[t] : "schema_migrations";

			for (p = 0; p < sizeof(privs) / sizeof(privs[0]); p++) {
				const char *params[3] = {roles[r], table, privs[p].name};
				PGresult *res = PQexecParams(pg,
							     "SELECT has_table_privilege($1,"
							     " format('public.%I', $2::text), $3)",
							     3, NULL, params, NULL, NULL, 0);
				bool want = granted(roles[r], table, privs[p].letter);
				bool have;

				assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
				have = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
				PQclear(res);
				if (have != want)
					fail_msg("%s %s on %s: have %d want %d", roles[r],
						 privs[p].name, table, have, want);
			}
		}
	}
	PQfinish(pg);
}

static void
test_ledger_role_is_append_only(void **state)
{
	const char *db = new_db();
	char *as_ledger;
	PGconn *admin, *ledger;
	PGresult *res;
	db_conn *conn = NULL;
	int applied = -1;

	(void)state;
	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	admin = test_pg_connect(db);
	res = PQexec(admin, "WITH u AS (INSERT INTO \"user\" (email, password_hash, name)"
			    "  VALUES ('a@example.com', 'x', 'A') RETURNING id),"
			    " g AS (INSERT INTO \"group\" (name, created_by)"
			    "  SELECT 'g', id FROM u RETURNING id),"
			    " a AS (INSERT INTO account (group_id,"
			    "  virtual_account_number)"
			    "  SELECT id, '0123456789' FROM g RETURNING id, group_id)"
			    " SELECT group_id, id FROM a");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);

	as_ledger = test_pg_conninfo(db_name_of(db), "kolo_ledger");
	assert_non_null(as_ledger);
	ledger = test_pg_connect(as_ledger);
	{
		const char *params[2] = {PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1)};
		PGresult *ins = PQexecParams(ledger,
					     "INSERT INTO ledger_entry (group_id, account_id, type,"
					     " amount_kobo, reference) VALUES ($1, $2, 'CREDIT',"
					     " 5000, 'ref-1')",
					     2, NULL, params, NULL, NULL, 0);

		if (PQresultStatus(ins) != PGRES_COMMAND_OK)
			fail_msg("ledger INSERT failed: %s", PQresultErrorMessage(ins));
		PQclear(ins);
	}
	PQclear(res);
	assert_sqlstate(ledger, "SELECT * FROM ledger_entry", "");
	assert_sqlstate(ledger, "UPDATE ledger_entry SET amount_kobo = 1", "42501");
	assert_sqlstate(ledger, "DELETE FROM ledger_entry", "42501");
	assert_sqlstate(ledger, "TRUNCATE ledger_entry", "42501");
	assert_sqlstate(ledger, "SELECT * FROM \"user\"", "42501");
	assert_sqlstate(ledger, "SELECT * FROM account", "42501");
	assert_sqlstate(ledger, "CREATE TABLE sneaky (id int)", "42501");
	assert_int_equal(pg_long(db, "SELECT count(*) FROM ledger_entry"
				     " WHERE amount_kobo = 5000"),
			 1);
	/* Through shared/db a privilege error is our bug: INTERNAL. */
	assert_int_equal(db_connect(&conn, as_ledger), 0);
	assert_int_equal(db_run(conn, "DELETE FROM ledger_entry", 0, NULL), ERR_INTERNAL);
	assert_string_equal(err_last()->reason, "insufficient_privilege");
	db_close(conn);
	PQfinish(ledger);
	PQfinish(admin);
	free(as_ledger);
}

static void
test_identity_role_cannot_read_ledger(void **state)
{
	const char *db = new_db();
	char *as_identity;
	PGconn *identity;
	int applied = -1;

	(void)state;
	assert_int_equal(mig_run(db, source_migrations, NULL, &applied), 0);
	as_identity = test_pg_conninfo(db_name_of(db), "kolo_identity");
	assert_non_null(as_identity);
	identity = test_pg_connect(as_identity);
	assert_sqlstate(identity, "SELECT * FROM ledger_entry", "42501");
	assert_sqlstate(identity, "SELECT * FROM \"user\"", "");
	assert_sqlstate(identity,
			"INSERT INTO \"user\" (email, password_hash, name)"
			" VALUES ('b@example.com', 'x', 'B')",
			"");
	assert_sqlstate(identity, "DELETE FROM \"user\"", "42501");
	/* It may see which migrations are applied (0016), never change them. */
	assert_sqlstate(identity, "SELECT * FROM schema_migrations", "");
	assert_sqlstate(identity, "DELETE FROM schema_migrations", "42501");
	assert_sqlstate(identity,
			"INSERT INTO schema_migrations (version, name, checksum)"
			" VALUES (9999, 'x', 'x')",
			"42501");
	PQfinish(identity);
	free(as_identity);
}

static void
test_roles_migration_is_idempotent_across_databases(void **state)
{
	const char *db1 = new_db();
	const char *db2 = new_db();
	int applied = -1;

	(void)state;
	/* The roles exist after the first database; the second must not
	 * trip over them. */
	assert_int_equal(mig_run(db1, source_migrations, NULL, &applied), 0);
	assert_int_equal(mig_run(db2, source_migrations, NULL, &applied), 0);
	assert_int_equal(applied, fx.nsources);
	assert_int_equal(pg_long(db2, "SELECT count(*) FROM pg_roles WHERE rolcanlogin"
				      " AND rolname IN ('kolo_identity', 'kolo_groups',"
				      " 'kolo_ledger', 'kolo_withdrawals', 'kolo_payments')"),
			 5);
}

/* ---- the command-line tool -------------------------------------------- */

#ifdef KOLO_MIGRATE_BIN
/* Runs kolo-migrate with args and env; returns its exit status and its
 * stderr (malloc'd) in *err_out. */
static int
run_tool(const char *conninfo, const char *dir_env, const char *const *args, char **err_out)
{
	char err_path[] = "/tmp/kolo_mig_err_XXXXXX";
	int fd = mkstemp(err_path);
	int status;
	pid_t pid;
	FILE *f;
	long size;

	assert_true(fd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[8] = {(char *)KOLO_MIGRATE_BIN};
		int i;

		for (i = 0; args[i] != NULL && i < 6; i++)
			argv[i + 1] = (char *)args[i];
		argv[i + 1] = NULL;
		if (conninfo)
			setenv("KOLO_DATABASE_URL", conninfo, 1);
		else
			unsetenv("KOLO_DATABASE_URL");
		if (dir_env)
			setenv("KOLO_MIGRATIONS_DIR", dir_env, 1);
		else
			unsetenv("KOLO_MIGRATIONS_DIR");
		dup2(fd, 2);
		dup2(open("/dev/null", O_WRONLY), 1);
		execv(KOLO_MIGRATE_BIN, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	*err_out = calloc(1, (size_t)size + 1);
	assert_int_equal(fread(*err_out, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	unlink(err_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_tool_exit_codes(void **state)
{
	const char *db = new_db();
	const char *dir = new_dir(true);
	const char *same_files = new_dir(true);
	const char *none[] = {NULL};
	const char *status[] = {"--status", NULL};
	const char *bogus[] = {"--bogus", NULL};
	const char *with_dir[] = {"--dir", same_files, NULL};
	char *err = NULL;

	(void)state;
	assert_int_equal(run_tool(NULL, dir, none, &err), 2);
	assert_non_null(strstr(err, "KOLO_DATABASE_URL"));
	free(err);
	assert_int_equal(run_tool(db, dir, bogus, &err), 2);
	free(err);
	assert_int_equal(run_tool(db, dir, status, &err), 0);
	free(err);
	assert_int_equal(run_tool(db, dir, none, &err), 0);
	assert_non_null(strstr(err, "applied 0001_seed (sha256 "));
	assert_non_null(strstr(err, "applied 0002_roles (sha256 "));
	assert_int_equal(count_of(err, "applied "), BASE_MIGRATIONS);
	free(err);
	/* --dir wins over KOLO_MIGRATIONS_DIR; both hold the same files. */
	assert_int_equal(run_tool(db, "/nonexistent", with_dir, &err), 0);
	assert_null(strstr(err, "applied"));
	free(err);
	write_file(dir, "0001_seed.sql", "-- edited\n", "a");
	assert_int_equal(run_tool(db, dir, none, &err), 1);
	assert_non_null(strstr(err, "0001_seed"));
	free(err);
}
#endif

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test(test_seed_is_the_shared_schema_verbatim),
		cmocka_unit_test(test_apply_to_empty_database),
		cmocka_unit_test(test_reapply_changes_nothing),
		cmocka_unit_test(test_tampered_file_refused),
		cmocka_unit_test(test_missing_and_renamed_files_refused),
		cmocka_unit_test(test_out_of_order_file_refused),
		cmocka_unit_test(test_bad_folder_contents_refused),
		cmocka_unit_test(test_oversized_file_refused),
		cmocka_unit_test(test_failed_migration_rolls_back),
		cmocka_unit_test(test_balances_are_backfilled_from_entries),
		cmocka_unit_test(test_amounts_widen_to_bigint_keeping_values),
		cmocka_unit_test(test_transaction_control_in_file_refused),
		cmocka_unit_test(test_concurrent_migrators_apply_once),
		cmocka_unit_test(test_status_lists_applied_and_pending),
		cmocka_unit_test(test_each_role_is_granted_only_its_tables),
		cmocka_unit_test(test_ledger_role_is_append_only),
		cmocka_unit_test(test_identity_role_cannot_read_ledger),
		cmocka_unit_test(test_roles_migration_is_idempotent_across_databases),
#ifdef KOLO_MIGRATE_BIN
		cmocka_unit_test(test_tool_exit_codes),
#endif
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
