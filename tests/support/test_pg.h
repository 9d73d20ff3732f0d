/* test_pg: throwaway PostgreSQL databases for integration tests.
 *
 * KOLO_TEST_PG is the admin conninfo of a throwaway cluster (e.g.
 * "host=/tmp/x port=5499 user=postgres dbname=postgres"; scripts/test sets
 * it). Without it a database test fails, it is not skipped. Databases are
 * named kolo_t_<pid>_<n>, unique within the process; the test drops the
 * ones it creates.
 *
 * Functions returning int return 0 or -1 (after a message on stderr) and
 * suit a cmocka group setup. The others are for use inside a cmocka test or
 * fixture: on failure they print a message and fail() the test. */
#ifndef KOLO_TEST_PG_H
#define KOLO_TEST_PG_H

#include <libpq-fe.h>
#include <stddef.h>

#include "err/err.h"

/* Longest database name test_pg_create_db() writes, with its NUL. */
#define TEST_PG_NAME_MAX 64

/* KOLO_TEST_PG (borrowed from the environment). When it is unset or empty,
 * prints a message naming KOLO_TEST_PG and returns NULL; the caller then
 * fails, e.g. its group setup returns -1. */
const char *test_pg_admin(void);

/* The admin conninfo with dbname, and user when not NULL, replaced. Owned
 * by the caller (free()). NULL, after a message, when KOLO_TEST_PG is unset
 * or malformed. */
char *test_pg_conninfo(const char *dbname, const char *user);

/* Creates an empty database kolo_t_<pid>_<n> (dropping a stale one of that
 * name first) and writes its name, NUL-terminated, to name, which holds cap
 * bytes (TEST_PG_NAME_MAX is enough). 0 or -1. */
KOLO_MUST_CHECK int test_pg_create_db(char *name, size_t cap);

/* test_pg_create_db(), then applies the repository's migrations
 * (KOLO_SOURCE_DIR "/migrations") with mig_run(), so the seed tables and the
 * per-service roles exist. 0 or -1; on -1 no database is left behind. */
KOLO_MUST_CHECK int test_pg_create_migrated_db(char *name, size_t cap);

/* A test's own database: KOLO_TEST_PG set, test_pg_create_migrated_db(),
 * and a superuser connection to it in *admin (the caller closes both with
 * test_pg_fresh_end). 0 or -1. */
KOLO_MUST_CHECK int test_pg_fresh(char *name, size_t cap, PGconn **admin);

/* Closes admin (when not NULL) and drops database name. */
void test_pg_fresh_end(const char *name, PGconn *admin);

/* test_pg_fresh() whose database is also the process's (db_configure) as
 * role ("kolo_identity"): a service's own tests. Ended with
 * test_pg_fresh_service_end, which closes the thread's connection too. */
KOLO_MUST_CHECK int test_pg_fresh_service(char *name, size_t cap, PGconn **admin, const char *role);
void test_pg_fresh_service_end(const char *name, PGconn *admin);

/* DROP DATABASE IF EXISTS name WITH (FORCE), ending its sessions. Never
 * fails the test: notices are silenced, an error is only printed. Does
 * nothing for NULL or "" or when KOLO_TEST_PG is unset. */
void test_pg_drop_db(const char *name);

/* A connection to conninfo with notices silenced; the caller PQfinish()es
 * it. Fails the test when it cannot connect. */
PGconn *test_pg_connect(const char *conninfo);

/* Runs sql on pg and returns the first field of the first row, "" when
 * there is none. Owned by the caller (free()). Fails the test when the
 * statement fails. */
char *test_pg_value(PGconn *pg, const char *sql);

/* test_pg_value() read as a decimal long (0 when it is not a number). */
long test_pg_long(PGconn *pg, const char *sql);

/* test_pg_value() and test_pg_long() of the statement printf(fmt, ...)
 * (at most 2047 bytes; longer fails the test). */
char *test_pg_valuef(PGconn *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
long test_pg_longf(PGconn *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Runs sql on pg, ignoring any rows. Fails the test when it fails. */
void test_pg_ok(PGconn *pg, const char *sql);

/* Runs sql on pg, expected to fail, and returns its SQLSTATE ("42501"): ""
 * when the statement succeeded, "?????" when the error carries none. Owned
 * by the caller (free()). */
char *test_pg_sqlstate(PGconn *pg, const char *sql);

/* The money invariants of tests/fault/invariants.sql, checked on pg (a
 * superuser connection): balances equal their entries and never went
 * negative, every payout attempt's debit exists exactly when it should and
 * a failed one's came back, a refused reference has no entry, ... Fails
 * the test, printing every row that breaks one. */
void test_pg_ledger_invariant(PGconn *pg);

/* How many violations named violation ("contributions_sum") invariants.sql
 * finds on pg now (a test that breaks a row by hand sees it caught). */
long test_pg_invariant_count(PGconn *pg, const char *violation);

/* The same without the invariants of withdrawal requests, for tests that
 * drive payouts without the withdrawals service (their withdrawal rows are
 * stand-ins that no one moves). */
void test_pg_payments_invariant(PGconn *pg);

#endif
