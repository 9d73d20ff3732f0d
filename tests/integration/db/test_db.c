/* Integration tests of shared/db against a real PostgreSQL.
 *
 * KOLO_TEST_PG is the admin conninfo of a throwaway cluster (e.g.
 * "host=/tmp/x port=5499 user=postgres dbname=postgres"); without it the
 * program fails. It creates its own database kolo_t_<pid>_<n> with
 * tests/support/test_pg and drops it at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "test_pg.h"

typedef struct fixture {
	char dbname[TEST_PG_NAME_MAX];
	char *db_conninfo; /* admin user, to the test database */
	PGconn *admin;	   /* admin connection to the test database */
} fixture;

static fixture fx;

/* ---- helpers ---------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Terminates backend pid from the admin connection and waits for it. */
static void
terminate_backend(int pid)
{
	char sql[96];
	char *v;

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d, 5000)", pid);
	v = test_pg_value(fx.admin, sql);
	assert_string_equal(v, "t");
	free(v);
}

static db_conn *
thread_conn(void)
{
	db_conn *conn = NULL;

	assert_int_equal(db_thread_conn(&conn), 0);
	assert_non_null(conn);
	return conn;
}

/* ---- fixtures --------------------------------------------------------- */

static int
group_setup(void **state)
{
	(void)state;
	if (test_pg_admin() == NULL)
		return -1;
	if (test_pg_create_db(fx.dbname, sizeof(fx.dbname)) < 0)
		return -1;
	fx.db_conninfo = test_pg_conninfo(fx.dbname, NULL);
	if (fx.db_conninfo == NULL)
		return -1;
	fx.admin = test_pg_connect(fx.db_conninfo);
	test_pg_ok(fx.admin, "CREATE TABLE item (id int PRIMARY KEY, label text,"
			     " qty int NOT NULL CHECK (qty >= 0));"
			     "CREATE TABLE child (id int PRIMARY KEY,"
			     " item_id int NOT NULL REFERENCES item(id));"
			     "CREATE TABLE tally (id serial PRIMARY KEY, grp int NOT NULL,"
			     " who text NOT NULL)");
	if (db_configure(fx.db_conninfo) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	db_thread_close();
	db_unconfigure();
	PQfinish(fx.admin);
	test_pg_drop_db(fx.dbname);
	free(fx.db_conninfo);
	return 0;
}

/* ---- statements and error mapping ------------------------------------ */

static void
test_exec_with_params_returns_rows(void **state)
{
	db_conn *conn = thread_conn();
	const char *ins[] = {"1", NULL, "7"};
	const char *sel[] = {"1"};
	PGresult *res = NULL;

	(void)state;
	assert_int_equal(db_run(conn,
				"INSERT INTO item (id, label, qty)"
				" VALUES ($1, $2, $3)",
				3, ins),
			 0);
	assert_int_equal(db_exec(conn, &res, "SELECT label, qty FROM item WHERE id = $1", 1, sel),
			 0);
	assert_non_null(res);
	assert_int_equal(PQntuples(res), 1);
	assert_true(PQgetisnull(res, 0, 0));
	assert_string_equal(PQgetvalue(res, 0, 1), "7");
	PQclear(res);
	/* A parameter is data, never SQL. */
	ins[0] = "2";
	ins[1] = "x'); DROP TABLE item; --";
	assert_int_equal(db_run(conn,
				"INSERT INTO item (id, label, qty)"
				" VALUES ($1, $2, $3)",
				3, ins),
			 0);
	assert_int_equal(test_pg_long(fx.admin, "SELECT count(*) FROM item"), 2);
}

static void
test_unique_violation_is_already_exists(void **state)
{
	db_conn *conn = thread_conn();
	const char *p[] = {"100", "secret-value-1"};
	PGresult *res = (PGresult *)1;

	(void)state;
	assert_int_equal(db_run(conn,
				"INSERT INTO item (id, label, qty)"
				" VALUES ($1, $2, 1)",
				2, p),
			 0);
	assert_int_equal(db_exec(conn, &res,
				 "INSERT INTO item (id, label, qty)"
				 " VALUES ($1, $2, 1)",
				 2, p),
			 ERR_ALREADY_EXISTS);
	assert_null(res);
	assert_int_equal(err_last()->code, ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "unique_violation");
	assert_non_null(strstr(err_last()->message, "item_pkey"));
	assert_null(strstr(err_last()->message, "secret-value-1"));
	assert_null(strstr(err_last()->message, "100"));
}

static void
test_constraint_violations_are_mapped(void **state)
{
	db_conn *conn = thread_conn();
	const char *neg[] = {"200", "-1"};
	const char *null_qty[] = {"201", NULL};
	const char *bad_int[] = {"202", "not-a-number-xyz"};
	const char *orphan[] = {"1", "99999"};

	(void)state;
	assert_int_equal(db_run(conn, "INSERT INTO item (id, qty) VALUES ($1, $2)", 2, neg),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "check_violation");
	assert_int_equal(db_run(conn, "INSERT INTO item (id, qty) VALUES ($1, $2)", 2, null_qty),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "not_null_violation");
	assert_int_equal(db_run(conn, "INSERT INTO item (id, qty) VALUES ($1, $2)", 2, bad_int),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_value");
	/* The server's message would quote the value; ours must not. */
	assert_null(strstr(err_last()->message, "not-a-number-xyz"));
	assert_int_equal(db_run(conn, "INSERT INTO child (id, item_id) VALUES ($1, $2)", 2, orphan),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "foreign_key_violation");
	assert_int_equal(test_pg_long(fx.admin, "SELECT count(*) FROM item"
						" WHERE id BETWEEN 200 AND 202"),
			 0);
}

static void
test_sqlstate_mapping(void **state)
{
	static const struct {
		const char *sqlstate;
		err_code code;
	} cases[] = {
		{"23505", ERR_ALREADY_EXISTS},	  {"23503", ERR_FAILED_PRECONDITION},
		{"23502", ERR_INVALID_ARGUMENT},  {"23514", ERR_INVALID_ARGUMENT},
		{"22P02", ERR_INVALID_ARGUMENT},  {"22003", ERR_INVALID_ARGUMENT},
		{"40001", ERR_ABORTED},		  {"40P01", ERR_ABORTED},
		{"57014", ERR_DEADLINE_EXCEEDED}, {"08006", ERR_UNAVAILABLE},
		{"08001", ERR_UNAVAILABLE},	  {"57P01", ERR_UNAVAILABLE},
		{"57P03", ERR_UNAVAILABLE},	  {"53300", ERR_UNAVAILABLE},
		{"55P03", ERR_UNAVAILABLE},	  {"42501", ERR_INTERNAL},
		{"42601", ERR_INTERNAL},	  {"57000", ERR_INTERNAL},
		{"XX000", ERR_INTERNAL},	  {"", ERR_INTERNAL},
		{"2350", ERR_INTERNAL},
	};
	size_t i;

	(void)state;
	assert_int_equal(db_err_from_sqlstate(NULL), ERR_UNAVAILABLE);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (db_err_from_sqlstate(cases[i].sqlstate) != cases[i].code)
			fail_msg("sqlstate %s -> %d, want %d", cases[i].sqlstate,
				 db_err_from_sqlstate(cases[i].sqlstate), cases[i].code);
	}
}

static void
test_connect_unreachable_is_unavailable(void **state)
{
	db_conn *conn = (db_conn *)1;

	(void)state;
	assert_int_equal(db_connect(&conn, "host=/nonexistent-kolo port=1"
					   " connect_timeout=2"),
			 ERR_UNAVAILABLE);
	assert_null(conn);
	assert_string_equal(err_last()->reason, "database_unavailable");
}

/* ---- transactions ----------------------------------------------------- */

typedef struct tx_arg {
	const char *id;
	int calls;
	bool fail_after_insert;
	bool swallow_duplicate;
	int kill_pid_on_first_call; /* > 0: terminate that backend */
	bool kill_before_second_statement;
} tx_arg;

static int
tx_insert(db_conn *conn, void *arg)
{
	tx_arg *a = arg;
	const char *p[] = {a->id};
	int rc;

	a->calls++;
	rc = db_run(conn, "INSERT INTO item (id, qty) VALUES ($1, 1)", 1, p);
	if (rc < 0)
		return rc;
	if (a->kill_pid_on_first_call > 0 && a->calls == 1) {
		terminate_backend(a->kill_pid_on_first_call);
		if (a->kill_before_second_statement) {
			rc = db_run(conn, "SELECT 1", 0, NULL);
			if (rc < 0)
				return rc;
		}
	}
	if (a->swallow_duplicate) {
		/* A bug on purpose: the error is dropped. */
		if (db_run(conn, "INSERT INTO item (id, qty) VALUES ($1, 1)", 1, p) < 0)
			return 0;
	}
	if (a->fail_after_insert)
		return err_set(ERR_FAILED_PRECONDITION, "test_refused", "refused by the test");
	return 0;
}

static long
item_count(const char *id)
{
	char sql[96];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM item WHERE id = %s", id);
	return test_pg_long(fx.admin, sql);
}

static void
test_tx_commits(void **state)
{
	db_conn *conn = thread_conn();
	tx_arg a = {.id = "300"};

	(void)state;
	assert_int_equal(db_tx(conn, 0, tx_insert, &a), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(item_count("300"), 1);
	assert_int_equal(PQtransactionStatus(db_pg(conn)), PQTRANS_IDLE);
}

static void
test_tx_rolls_back_when_fn_fails(void **state)
{
	db_conn *conn = thread_conn();
	tx_arg a = {.id = "301", .fail_after_insert = true};

	(void)state;
	assert_int_equal(db_tx(conn, 1000, tx_insert, &a), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "test_refused");
	assert_int_equal(a.calls, 1);
	assert_int_equal(item_count("301"), 0);
	assert_int_equal(PQtransactionStatus(db_pg(conn)), PQTRANS_IDLE);
}

static void
test_tx_swallowed_error_is_not_committed(void **state)
{
	db_conn *conn = thread_conn();
	tx_arg a = {.id = "302", .swallow_duplicate = true};

	(void)state;
	assert_int_equal(db_tx(conn, 0, tx_insert, &a), ERR_INTERNAL);
	assert_string_equal(err_last()->reason, "transaction_aborted");
	assert_int_equal(a.calls, 1);
	assert_int_equal(item_count("302"), 0);
}

static int
tx_sleep(db_conn *conn, void *arg)
{
	(void)arg;
	return db_run(conn, "SELECT pg_sleep(1)", 0, NULL);
}

static void
test_tx_timeout_is_deadline_exceeded(void **state)
{
	db_conn *conn = thread_conn();
	PGresult *res = NULL;
	int64_t start = now_ms();

	(void)state;
	assert_int_equal(db_tx(conn, 50, tx_sleep, NULL), ERR_DEADLINE_EXCEEDED);
	assert_string_equal(err_last()->reason, "statement_timeout");
	assert_true(now_ms() - start < 900);
	/* SET LOCAL: the timeout ended with the transaction. */
	assert_int_equal(db_exec(conn, &res, "SHOW statement_timeout", 0, NULL), 0);
	assert_string_equal(PQgetvalue(res, 0, 0), "0");
	PQclear(res);
}

/* Two threads, each on its own thread connection, run the same
 * SERIALIZABLE read-then-insert. On the first attempt both read before
 * either writes, which PostgreSQL must refuse for one of them. */
typedef struct race {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int arrived;
	int calls;
} race;

typedef struct racer {
	race *race;
	const char *who;
	int rc;
	int calls;
	int pid;
} racer;

static void
race_rendezvous(race *r)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&r->mu);
	r->arrived++;
	pthread_cond_broadcast(&r->cv);
	while (r->arrived < 2) {
		if (pthread_cond_timedwait(&r->cv, &r->mu, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&r->mu);
}

static int
tx_serializable(db_conn *conn, void *arg)
{
	racer *me = arg;
	const char *p[] = {me->who};
	int rc;

	me->calls++;
	rc = db_run(conn, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", 0, NULL);
	if (rc < 0)
		return rc;
	rc = db_run(conn, "SELECT count(*) FROM tally WHERE grp = 1", 0, NULL);
	if (rc < 0)
		return rc;
	if (me->calls == 1)
		race_rendezvous(me->race);
	return db_run(conn, "INSERT INTO tally (grp, who) VALUES (1, $1)", 1, p);
}

static void *
racer_main(void *arg)
{
	racer *me = arg;
	db_conn *conn = NULL;

	me->rc = db_thread_conn(&conn);
	if (me->rc == 0) {
		me->pid = PQbackendPID(db_pg(conn));
		me->rc = db_tx(conn, 5000, tx_serializable, me);
	}
	return NULL; /* the thread's connection closes at exit */
}

static void
test_tx_retries_serialization_failure(void **state)
{
	race r = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	racer a = {.race = &r, .who = "a"}, b = {.race = &r, .who = "b"};
	pthread_t ta, tb;
	char sql[128];

	(void)state;
	assert_int_equal(pthread_create(&ta, NULL, racer_main, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, racer_main, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, 0);
	/* One of them ran again after the conflict... */
	assert_true(a.calls + b.calls >= 3);
	/* ...and each committed exactly once. */
	assert_int_equal(test_pg_long(fx.admin, "SELECT count(*) FROM tally"
						" WHERE grp = 1 AND who = 'a'"),
			 1);
	assert_int_equal(test_pg_long(fx.admin, "SELECT count(*) FROM tally"
						" WHERE grp = 1 AND who = 'b'"),
			 1);
	/* Thread exit closed both thread connections. */
	assert_int_not_equal(a.pid, b.pid);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE pid IN (%d, %d)",
		 a.pid, b.pid);
	for (int i = 0; i < 100 && test_pg_long(fx.admin, sql) != 0; i++)
		usleep(20000);
	assert_int_equal(test_pg_long(fx.admin, sql), 0);
}

/* ---- prepared statements ---------------------------------------------- */

/* How many statements the session behind conn has prepared. */
static long
prepared_count(db_conn *conn)
{
	PGresult *res = NULL;
	long n;

	assert_int_equal(
		db_exec(conn, &res, "SELECT count(*) FROM pg_prepared_statements", 0, NULL), 0);
	n = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

/* qty of item id, read through a statement with one parameter. */
static long
item_qty(db_conn *conn, const char *id)
{
	const char *p[] = {id};
	PGresult *res = NULL;
	long qty;

	assert_int_equal(db_exec(conn, &res, "SELECT qty FROM item WHERE id = $1", 1, p), 0);
	assert_int_equal(PQntuples(res), 1);
	qty = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return qty;
}

static void
test_statement_is_prepared_once_per_session(void **state)
{
	db_conn *conn = thread_conn();
	const char *ins[] = {"400", "p", "40"};
	long before;

	(void)state;
	assert_int_equal(db_run(conn,
				"INSERT INTO item (id, label, qty)"
				" VALUES ($1, $2, $3)",
				3, ins),
			 0);
	before = prepared_count(conn);
	assert_int_equal(item_qty(conn, "400"), 40);
	assert_int_equal(prepared_count(conn), before + 1);
	assert_int_equal(item_qty(conn, "400"), 40);
	assert_int_equal(item_qty(conn, "400"), 40);
	assert_int_equal(prepared_count(conn), before + 1);
}

/* A statement that does not prepare is an error each time, is not kept,
 * and leaves the connection usable. */
static void
test_bad_statement_is_not_kept(void **state)
{
	db_conn *conn = thread_conn();
	const char *p[] = {"1"};
	PGresult *res = NULL;
	long before = prepared_count(conn);

	(void)state;
	assert_int_equal(db_exec(conn, &res, "SELEC qty FROM item WHERE id = $1", 1, p),
			 ERR_INTERNAL);
	assert_null(res);
	assert_int_equal(db_exec(conn, &res, "SELEC qty FROM item WHERE id = $1", 1, p),
			 ERR_INTERNAL);
	assert_int_equal(prepared_count(conn), before);
	assert_int_equal(item_qty(conn, "400"), 40);
}

/* Someone dropped the session's statements (DEALLOCATE, DISCARD ALL): the
 * next call prepares again instead of failing. */
static void
test_statements_dropped_behind_our_back(void **state)
{
	db_conn *conn = thread_conn();

	(void)state;
	assert_int_equal(item_qty(conn, "400"), 40);
	assert_int_equal(db_run(conn, "DEALLOCATE ALL", 0, NULL), 0);
	assert_int_equal(prepared_count(conn), 0);
	assert_int_equal(item_qty(conn, "400"), 40);
	assert_int_equal(prepared_count(conn), 1);
}

typedef struct shape_arg {
	const char *sql; /* SELECT * FROM <the test's table> WHERE a = $1 */
	int calls;
	int columns;
} shape_arg;

static int
tx_select_shape(db_conn *conn, void *arg)
{
	shape_arg *a = arg;
	const char *p[] = {"1"};
	PGresult *res = NULL;
	int rc;

	a->calls++;
	rc = db_exec(conn, &res, a->sql, 1, p);
	if (rc < 0)
		return rc;
	a->columns = PQnfields(res);
	PQclear(res);
	return 0;
}

/* Runs tx_select_shape through run (or directly when run is NULL) with
 * fresh counters; its return, *a holding the counts. */
static int
select_shape(db_conn *conn, shape_arg *a, int (*run)(db_conn *, int64_t, db_tx_fn, void *))
{
	a->calls = 0;
	a->columns = 0;
	return run ? run(conn, 0, tx_select_shape, a) : tx_select_shape(conn, a);
}

/* A migration that changes a table's columns invalidates a prepared
 * SELECT * (SQLSTATE 0A000): outside a transaction the call prepares again
 * at once, inside one db_tx runs the body again. */
static void
test_statement_survives_schema_change(void **state)
{
	db_conn *conn = thread_conn();
	shape_arg a = {.sql = "SELECT * FROM shape_change WHERE a = $1"};

	(void)state;
	test_pg_ok(fx.admin, "CREATE TABLE shape_change (a int);"
			     "INSERT INTO shape_change VALUES (1)");
	assert_int_equal(select_shape(conn, &a, db_tx), 0);
	assert_int_equal(a.columns, 1);
	test_pg_ok(fx.admin, "ALTER TABLE shape_change ADD COLUMN b int DEFAULT 5");
	assert_int_equal(select_shape(conn, &a, NULL), 0);
	assert_int_equal(a.columns, 2);
	test_pg_ok(fx.admin, "ALTER TABLE shape_change ADD COLUMN c int");
	assert_int_equal(select_shape(conn, &a, db_tx), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.columns, 3);
	assert_int_equal(select_shape(conn, &a, db_tx), 0);
	assert_int_equal(a.calls, 1);
}

/* db_tx_single never meets a stale statement (its statements go unnamed):
 * after a migration its body runs once and succeeds. */
static void
test_tx_single_is_not_failed_by_a_stale_statement(void **state)
{
	db_conn *conn = thread_conn();
	shape_arg a = {.sql = "SELECT * FROM shape_single WHERE a = $1"};

	(void)state;
	test_pg_ok(fx.admin, "CREATE TABLE shape_single (a int);"
			     "INSERT INTO shape_single VALUES (1)");
	assert_int_equal(select_shape(conn, &a, NULL), 0);
	test_pg_ok(fx.admin, "ALTER TABLE shape_single ADD COLUMN b int");
	assert_int_equal(select_shape(conn, &a, db_tx_single), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.columns, 2);
}

/* Statements dropped behind our back inside a transaction: db_tx runs the
 * body again, prepared afresh. */
static void
test_tx_reruns_after_statements_dropped(void **state)
{
	db_conn *conn = thread_conn();
	shape_arg a = {.sql = "SELECT * FROM shape_dropped WHERE a = $1"};

	(void)state;
	test_pg_ok(fx.admin, "CREATE TABLE shape_dropped (a int);"
			     "INSERT INTO shape_dropped VALUES (1)");
	assert_int_equal(select_shape(conn, &a, NULL), 0);
	assert_int_equal(db_run(conn, "DEALLOCATE ALL", 0, NULL), 0);
	assert_int_equal(select_shape(conn, &a, db_tx), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(a.columns, 1);
}

/* A new session after a lost connection prepares again. */
static void
test_statements_after_reconnect(void **state)
{
	db_conn *conn = thread_conn();

	(void)state;
	assert_int_equal(item_qty(conn, "400"), 40);
	terminate_backend(PQbackendPID(db_pg(conn)));
	conn = thread_conn();
	assert_int_equal(prepared_count(conn), 0);
	assert_int_equal(item_qty(conn, "400"), 40);
	assert_int_equal(prepared_count(conn), 1);
}

/* Past the cache's size statements still run (unnamed), with the right
 * results, and the session's prepared statements stay bounded. */
static void
test_many_statements_stay_bounded(void **state)
{
	db_conn *conn = thread_conn();
	const char *p[] = {"1000"};
	char sql[64];
	PGresult *res = NULL;
	int i;

	(void)state;
	for (i = 0; i < 600; i++) {
		snprintf(sql, sizeof(sql), "SELECT $1::int + %d", i);
		assert_int_equal(db_exec(conn, &res, sql, 1, p), 0);
		assert_int_equal(atoi(PQgetvalue(res, 0, 0)), 1000 + i);
		PQclear(res);
		res = NULL;
	}
	assert_in_range(prepared_count(conn), 1, 300);
	assert_int_equal(item_qty(conn, "400"), 40);
}

/* ---- lost connections ------------------------------------------------- */

static void
test_thread_conn_reconnects_after_terminated_backend(void **state)
{
	db_conn *conn = thread_conn();
	db_conn *again;
	int pid = PQbackendPID(db_pg(conn));
	PGresult *res = NULL;

	(void)state;
	terminate_backend(pid);
	again = thread_conn();
	assert_ptr_equal(again, conn);
	assert_int_equal(db_exec(again, &res, "SELECT pg_backend_pid()", 0, NULL), 0);
	assert_int_not_equal(atoi(PQgetvalue(res, 0, 0)), pid);
	PQclear(res);
}

static void
test_tx_retries_when_connection_lost_before_begin(void **state)
{
	db_conn *conn = thread_conn();
	int pid = PQbackendPID(db_pg(conn));
	tx_arg a = {.id = "310"};

	(void)state;
	terminate_backend(pid);
	assert_int_equal(db_tx(conn, 0, tx_insert, &a), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(item_count("310"), 1);
	assert_int_not_equal(PQbackendPID(db_pg(conn)), pid);
}

static void
test_tx_retries_when_connection_lost_inside(void **state)
{
	db_conn *conn = thread_conn();
	tx_arg a = {.id = "311", .kill_before_second_statement = true};

	(void)state;
	a.kill_pid_on_first_call = PQbackendPID(db_pg(conn));
	assert_int_equal(db_tx(conn, 0, tx_insert, &a), 0);
	assert_int_equal(a.calls, 2);
	assert_int_equal(item_count("311"), 1);
}

/* db_tx_single: the same loss inside the body is returned, not re-run. */
static void
test_tx_single_is_never_rerun(void **state)
{
	db_conn *conn = thread_conn();
	tx_arg a = {.id = "313", .kill_before_second_statement = true};

	(void)state;
	a.kill_pid_on_first_call = PQbackendPID(db_pg(conn));
	assert_int_equal(db_tx_single(conn, 0, tx_insert, &a), ERR_UNAVAILABLE);
	assert_int_equal(a.calls, 1);
	assert_int_equal(item_count("313"), 0);
	a = (tx_arg){.id = "314"};
	conn = thread_conn();
	assert_int_equal(db_tx_single(conn, 0, tx_insert, &a), 0);
	assert_int_equal(a.calls, 1);
	assert_int_equal(item_count("314"), 1);
}

static void
test_tx_connection_lost_during_commit_is_not_retried(void **state)
{
	db_conn *conn = thread_conn();
	tx_arg a = {.id = "312"};
	PGresult *res = NULL;

	(void)state;
	a.kill_pid_on_first_call = PQbackendPID(db_pg(conn));
	assert_int_equal(db_tx(conn, 0, tx_insert, &a), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "commit_outcome_unknown");
	assert_int_equal(a.calls, 1);
	assert_int_equal(item_count("312"), 0);
	/* The thread connection comes back for the next call. */
	conn = thread_conn();
	assert_int_equal(db_exec(conn, &res, "SELECT 1", 0, NULL), 0);
	PQclear(res);
}

static void *
unconfigured_main(void *arg)
{
	db_conn *conn = NULL;
	int *rc = arg;

	*rc = db_thread_conn(&conn);
	return NULL;
}

static void
test_thread_conn_needs_configure(void **state)
{
	pthread_t t;
	int rc = 0;

	(void)state;
	db_unconfigure();
	assert_int_equal(pthread_create(&t, NULL, unconfigured_main, &rc), 0);
	pthread_join(t, NULL);
	assert_int_equal(db_configure(fx.db_conninfo), 0);
	assert_int_equal(rc, ERR_INTERNAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_with_params_returns_rows),
		cmocka_unit_test(test_unique_violation_is_already_exists),
		cmocka_unit_test(test_constraint_violations_are_mapped),
		cmocka_unit_test(test_sqlstate_mapping),
		cmocka_unit_test(test_connect_unreachable_is_unavailable),
		cmocka_unit_test(test_tx_commits),
		cmocka_unit_test(test_tx_rolls_back_when_fn_fails),
		cmocka_unit_test(test_tx_swallowed_error_is_not_committed),
		cmocka_unit_test(test_tx_timeout_is_deadline_exceeded),
		cmocka_unit_test(test_tx_retries_serialization_failure),
		cmocka_unit_test(test_thread_conn_reconnects_after_terminated_backend),
		cmocka_unit_test(test_tx_retries_when_connection_lost_before_begin),
		cmocka_unit_test(test_tx_retries_when_connection_lost_inside),
		cmocka_unit_test(test_tx_single_is_never_rerun),
		cmocka_unit_test(test_tx_connection_lost_during_commit_is_not_retried),
		cmocka_unit_test(test_thread_conn_needs_configure),
		cmocka_unit_test(test_statement_is_prepared_once_per_session),
		cmocka_unit_test(test_bad_statement_is_not_kept),
		cmocka_unit_test(test_statements_dropped_behind_our_back),
		cmocka_unit_test(test_statement_survives_schema_change),
		cmocka_unit_test(test_tx_single_is_not_failed_by_a_stale_statement),
		cmocka_unit_test(test_tx_reruns_after_statements_dropped),
		cmocka_unit_test(test_statements_after_reconnect),
		cmocka_unit_test(test_many_statements_stay_bounded),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
