#include "test_pg.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "migrate/migrate.h"

#ifndef KOLO_SOURCE_DIR
#error "KOLO_SOURCE_DIR must name the repository root"
#endif

static const char test_pg_migrations[] = KOLO_SOURCE_DIR "/migrations";

/* The <n> of kolo_t_<pid>_<n>. */
static atomic_uint test_pg_next_db;

static void
test_pg_quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* KOLO_TEST_PG, or NULL without a word. */
static const char *
test_pg_env(void)
{
	const char *env = getenv("KOLO_TEST_PG");

	return env != NULL && env[0] != '\0' ? env : NULL;
}

const char *
test_pg_admin(void)
{
	const char *env = test_pg_env();

	if (env == NULL)
		fprintf(stderr, "KOLO_TEST_PG is not set: it must be the admin "
				"conninfo of a throwaway PostgreSQL cluster, "
				"e.g. \"host=/tmp/x port=5499 user=postgres "
				"dbname=postgres\" (scripts/test sets it)\n");
	return env;
}

static void
test_pg_append_quoted(FILE *f, const char *key, const char *value)
{
	const char *p;

	fprintf(f, "%s='", key);
	for (p = value; *p; p++) {
		if (*p == '\'' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("' ", f);
}

char *
test_pg_conninfo(const char *dbname, const char *user)
{
	const char *admin = test_pg_admin();
	char *err = NULL, *out = NULL;
	size_t len = 0;
	PQconninfoOption *opts;
	PQconninfoOption *o;
	FILE *f;

	if (admin == NULL)
		return NULL;
	opts = PQconninfoParse(admin, &err);
	if (opts == NULL) {
		fprintf(stderr, "KOLO_TEST_PG is malformed: %s\n", err ? err : "?");
		PQfreemem(err);
		return NULL;
	}
	f = open_memstream(&out, &len);
	if (f == NULL)
		abort();
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || strcmp(o->keyword, "dbname") == 0 ||
		    (user != NULL && strcmp(o->keyword, "user") == 0))
			continue;
		test_pg_append_quoted(f, o->keyword, o->val);
	}
	test_pg_append_quoted(f, "dbname", dbname);
	if (user != NULL)
		test_pg_append_quoted(f, "user", user);
	fclose(f);
	PQconninfoFree(opts);
	return out;
}

/* Runs "<head><database name as an identifier><tail>" on the admin
 * connection. 0 or -1 after a message. */
static int
test_pg_admin_run(const char *admin, const char *head, const char *name, const char *tail)
{
	PGconn *pg = PQconnectdb(admin);
	PGresult *res;
	char *ident = NULL, *sql = NULL;
	int rc = -1;

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to KOLO_TEST_PG: %s", PQerrorMessage(pg));
		goto out;
	}
	PQsetNoticeProcessor(pg, test_pg_quiet_notice, NULL);
	ident = PQescapeIdentifier(pg, name, strlen(name));
	if (ident == NULL) {
		fprintf(stderr, "cannot quote %s: %s", name, PQerrorMessage(pg));
		goto out;
	}
	if (asprintf(&sql, "%s%s%s", head, ident, tail) < 0)
		abort();
	res = PQexec(pg, sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		rc = 0;
	else
		fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
out:
	free(sql);
	PQfreemem(ident);
	PQfinish(pg);
	return rc;
}

int
test_pg_create_db(char *name, size_t cap)
{
	const char *admin = test_pg_admin();
	unsigned n = atomic_fetch_add(&test_pg_next_db, 1);
	int len;

	if (admin == NULL)
		return -1;
	len = snprintf(name, cap, "kolo_t_%ld_%u", (long)getpid(), n);
	if (len < 0 || (size_t)len >= cap) {
		fprintf(stderr, "test_pg: a database name does not fit in %zu bytes\n", cap);
		return -1;
	}
	/* A database of this name is a leftover of a process that had our
	 * pid; it is ours to replace. */
	if (test_pg_admin_run(admin, "DROP DATABASE IF EXISTS ", name, " WITH (FORCE)") < 0)
		return -1;
	return test_pg_admin_run(admin, "CREATE DATABASE ", name, "");
}

int
test_pg_create_migrated_db(char *name, size_t cap)
{
	char *conninfo;
	int applied = 0;
	int rc;

	if (test_pg_create_db(name, cap) < 0)
		return -1;
	conninfo = test_pg_conninfo(name, NULL);
	if (conninfo == NULL) {
		test_pg_drop_db(name);
		return -1;
	}
	rc = mig_run(conninfo, test_pg_migrations, NULL, &applied);
	free(conninfo);
	if (rc < 0) {
		fprintf(stderr, "test_pg: migrating %s failed: %s: %s\n", name, err_last()->reason,
			err_last()->message);
		test_pg_drop_db(name);
		return -1;
	}
	return 0;
}

void
test_pg_drop_db(const char *name)
{
	const char *admin = test_pg_env();

	if (admin == NULL || name == NULL || name[0] == '\0')
		return;
	(void)test_pg_admin_run(admin, "DROP DATABASE IF EXISTS ", name, " WITH (FORCE)");
}

PGconn *
test_pg_connect(const char *conninfo)
{
	PGconn *pg = PQconnectdb(conninfo);

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect: %s", PQerrorMessage(pg));
		PQfinish(pg);
		fail();
	}
	PQsetNoticeProcessor(pg, test_pg_quiet_notice, NULL);
	return pg;
}

char *
test_pg_value(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	char *value;

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		fprintf(stderr, "sql failed: %s: %s\n", sql, PQresultErrorMessage(res));
		PQclear(res);
		fail();
	}
	value = strdup(PQntuples(res) > 0 && PQnfields(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	if (value == NULL)
		abort();
	return value;
}

long
test_pg_long(PGconn *pg, const char *sql)
{
	char *value = test_pg_value(pg, sql);
	long n = strtol(value, NULL, 10);

	free(value);
	return n;
}

void
test_pg_ok(PGconn *pg, const char *sql)
{
	free(test_pg_value(pg, sql));
}

char *
test_pg_sqlstate(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	const char *state = "";
	char *out;

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state == NULL)
			state = "?????";
	}
	out = strdup(state);
	PQclear(res);
	if (out == NULL)
		abort();
	return out;
}

/* tests/fault/invariants.sql, read whole (the caller frees it). */
static char *
test_pg_invariants_sql(void)
{
	FILE *f = fopen(KOLO_SOURCE_DIR "/tests/fault/invariants.sql", "r");
	char *sql = calloc(1, 65536);
	size_t n;

	if (!f || !sql)
		abort();
	n = fread(sql, 1, 65535, f);
	fclose(f);
	if (n == 0 || n == 65535)
		abort();
	return sql;
}

/* Runs invariants.sql, keeping the violations `filter` (a WHERE clause on
 * its column `violation`) selects, and fails the test on any. */
static void
test_pg_invariants_where(PGconn *pg, const char *filter)
{
	char *sql = test_pg_invariants_sql();
	char *end = sql + strlen(sql);
	char *query;
	PGresult *res;
	int rows;

	while (end > sql && (end[-1] == ';' || end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	if (asprintf(&query, "SELECT * FROM (%s\n) v WHERE %s", sql, filter) < 0)
		abort();
	free(sql);
	res = PQexec(pg, query);
	free(query);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "invariants.sql failed: %s\n", PQresultErrorMessage(res));
		PQclear(res);
		fail();
	}
	rows = PQntuples(res);
	for (int i = 0; i < rows; i++)
		fprintf(stderr, "money invariant broken: %s %s: %s\n", PQgetvalue(res, i, 0),
			PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
	PQclear(res);
	if (rows > 0)
		fail_msg("%d money invariants broken (tests/fault/invariants.sql)", rows);
}

void
test_pg_ledger_invariant(PGconn *pg)
{
	test_pg_invariants_where(pg, "true");
}

long
test_pg_invariant_count(PGconn *pg, const char *violation)
{
	char *sql = test_pg_invariants_sql();
	char *end = sql + strlen(sql);
	char *query;
	long n;

	while (end > sql && (end[-1] == ';' || end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	if (asprintf(&query, "SELECT count(*) FROM (%s\n) v WHERE violation = '%s'", sql,
		     violation) < 0)
		abort();
	free(sql);
	n = test_pg_long(pg, query);
	free(query);
	return n;
}

void
test_pg_payments_invariant(PGconn *pg)
{
	test_pg_invariants_where(pg, "violation NOT LIKE '%withdrawal%'");
}

int
test_pg_fresh(char *name, size_t cap, PGconn **admin)
{
	char *conninfo;

	if (!test_pg_admin() || test_pg_create_migrated_db(name, cap) < 0)
		return -1;
	conninfo = test_pg_conninfo(name, NULL);
	if (!conninfo)
		return -1;
	*admin = test_pg_connect(conninfo);
	free(conninfo);
	return 0;
}

void
test_pg_fresh_end(const char *name, PGconn *admin)
{
	if (admin)
		PQfinish(admin);
	test_pg_drop_db(name);
}

int
test_pg_fresh_service(char *name, size_t cap, PGconn **admin, const char *role)
{
	char *conninfo;
	int rc;

	if (test_pg_fresh(name, cap, admin) < 0)
		return -1;
	conninfo = test_pg_conninfo(name, role);
	rc = conninfo ? db_configure(conninfo) : -1;
	free(conninfo);
	return rc < 0 ? -1 : 0;
}

void
test_pg_fresh_service_end(const char *name, PGconn *admin)
{
	db_thread_close();
	db_unconfigure();
	test_pg_fresh_end(name, admin);
}

/* printf(fmt, ap) into sql (cap bytes); fails the test when it does not fit. */
static void
test_pg_vformat(char *sql, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(sql, cap, fmt, ap);

	if (n < 0 || (size_t)n >= cap)
		fail_msg("SQL longer than %zu bytes: %.60s...", cap - 1, fmt);
}

char *
test_pg_valuef(PGconn *pg, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	test_pg_vformat(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return test_pg_value(pg, sql);
}

long
test_pg_longf(PGconn *pg, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	test_pg_vformat(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return test_pg_long(pg, sql);
}
