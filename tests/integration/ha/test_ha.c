/* shared/db, shared/idem and kolo-ledger against a primary with a
 * synchronous streaming standby (DESIGN §18; docs/decisions.md, "Database
 * past one machine: commits the standby has not confirmed").
 *
 * Run by run.sh, which starts the two clusters and sets KOLO_TEST_PG (the
 * primary), KOLO_HA_PRIMARY_DIR/PORT and KOLO_HA_STANDBY_DIR/PORT. The
 * standby is stopped and started here with scripts/lib/pg.sh; the last
 * group kills the primary and promotes the standby. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "idem/idem.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "svc/call.h"
#include "test_world.h"

#define CREDIT KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT

static test_world w;
static db_conn *conn; /* superuser, to the world's database */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !v[0]) {
		fprintf(stderr, "test_ha: %s is not set (run tests/integration/ha/run.sh)\n", name);
		exit(1);
	}
	return v;
}

/* Runs a shell command with scripts/lib/pg.sh loaded; fails the test when
 * it fails. */
static void
pg_sh(const char *fmt, ...)
{
	char cmd[1024], line[1400];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	snprintf(line, sizeof(line), "bash -c '. %s/scripts/lib/pg.sh && %s'", KOLO_SOURCE_DIR,
		 cmd);
	assert_int_equal(system(line), 0);
}

static void
standby_stop(void)
{
	pg_sh("kolo_pg_stop %s fast", env("KOLO_HA_STANDBY_DIR"));
}

/* Starts the standby again and waits until the primary sees it as its
 * synchronous standby. */
static void
standby_start(void)
{
	pg_sh("kolo_pg_start_standby %s %s %s %s kolo_standby off", env("KOLO_HA_PRIMARY_DIR"),
	      env("KOLO_HA_PRIMARY_PORT"), env("KOLO_HA_STANDBY_DIR"), env("KOLO_HA_STANDBY_PORT"));
	for (int i = 0; i < 600; i++) {
		if (test_pg_long(w.admin, "SELECT count(*) FROM pg_stat_replication"
					  " WHERE sync_state = 'sync'") == 1)
			return;
		usleep(50 * 1000);
	}
	fail_msg("the standby did not come back as synchronous");
}

static void
assert_outcome_unknown(int rc)
{
	assert_int_equal(rc, ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "commit_outcome_unknown");
}

static long
rows_with(int id)
{
	return test_pg_longf(w.admin, "SELECT count(*) FROM ha_t WHERE id = %d", id);
}

static int
insert_body(db_conn *c, void *arg)
{
	char id[DB_I64_TEXT];
	const char *params[] = {db_i64(id, *(int *)arg)};

	return db_run(c, "INSERT INTO ha_t (id) VALUES ($1::int)", 1, params);
}

static int
group_setup(void **state)
{
	char *info;

	(void)state;
	/* As svc_main does: statements outside a transaction wait no longer
	 * than the call (or background step) they serve. */
	db_set_deadline_source(svc_current_tx_timeout);
	if (test_world_start(&w) < 0)
		return -1;
	info = test_pg_conninfo(w.dbname, NULL);
	if (!info || db_connect(&conn, info) < 0)
		return -1;
	free(info);
	PQclear(PQexec(w.admin, "CREATE TABLE ha_t (id int PRIMARY KEY)"));
	return 0;
}

static int
group_teardown(void **state)
{
	char line[1024];

	(void)state;
	/* A failed test may have left the standby stopped: every commit,
	 * DROP DATABASE too, would wait for it. */
	snprintf(line, sizeof(line),
		 "bash -c '. %s/scripts/lib/pg.sh && kolo_pg_start_standby %s %s %s %s"
		 " kolo_standby off'",
		 KOLO_SOURCE_DIR, env("KOLO_HA_PRIMARY_DIR"), env("KOLO_HA_PRIMARY_PORT"),
		 env("KOLO_HA_STANDBY_DIR"), env("KOLO_HA_STANDBY_PORT"));
	if (system(line) != 0)
		fprintf(stderr, "test_ha: the standby did not start again\n");
	db_close(conn);
	test_world_stop(&w);
	return 0;
}

/* (a) A transaction's COMMIT that the standby cannot confirm waits until
 * the transaction's deadline, is cancelled there, and answers
 * commit_outcome_unknown (not success: the row is on the primary only). */
static void
test_tx_commit_bounded(void **state)
{
	int id = 1;

	(void)state;
	standby_stop();
	assert_outcome_unknown(db_tx(conn, 500, insert_body, &id));
	assert_int_equal(rows_with(1), 1); /* committed locally */
}

/* (b) The same for an autocommit write with db_deadline_set(). */
static void
test_autocommit_bounded(void **state)
{
	const char *params[] = {"2"};

	(void)state;
	standby_stop(); /* stopped already, unless run alone */
	db_deadline_set(conn, 500);
	assert_outcome_unknown(db_run(conn, "INSERT INTO ha_t (id) VALUES ($1::int)", 1, params));
	assert_int_equal(rows_with(2), 1);
	/* The session is still good: a read answers. */
	assert_int_equal(db_run(conn, "SELECT 1", 0, NULL), 0);
}

/* (c) No deadline: the cap applies (made short here). */
static void
test_no_deadline_capped(void **state)
{
	const char *params[] = {"3"};

	(void)state;
	standby_stop(); /* stopped already, unless run alone */
	db_test_set_wait_cap_ms(700);
	db_deadline_set(conn, 0);
	assert_outcome_unknown(db_run(conn, "INSERT INTO ha_t (id) VALUES ($1::int)", 1, params));
	db_test_set_wait_cap_ms(0);
	assert_int_equal(rows_with(3), 1);
}

typedef struct idem_arg {
	Kolo__Ledger__V1__GetBalanceResponse *resp;
	int id;
} idem_arg;

static int
idem_body(db_conn *c, void *arg)
{
	idem_arg *a = arg;

	a->resp->balance_kobo = 4242;
	return insert_body(c, &a->id);
}

static const idem_key idem_k = {
	.table = IDEM_GROUPS,
	.method = "kolo.test.Ha",
	.caller = "ha",
	.key = "ha-key-1",
	.hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};

static int
idem_call(Kolo__Ledger__V1__GetBalanceResponse *resp, int *replayed, int id)
{
	idem_arg a = {.resp = resp, .id = id};
	idem_tx t = {.key = &idem_k,
		     .arena = w.arena,
		     .resp = &resp->base,
		     .body = idem_body,
		     .arg = &a};
	int rc;

	kolo__ledger__v1__get_balance_response__init(resp);
	rc = idem_db_tx(conn, 500, &t);
	*replayed = t.replayed;
	return rc;
}

/* (d) A replay of a key whose first commit was not confirmed answers
 * commit_outcome_unknown while the standby is away (its reply would rest
 * on a row the standby may never get), and the stored reply once it is
 * back. */
static void
test_idem_replay_fenced(void **state)
{
	Kolo__Ledger__V1__GetBalanceResponse resp;
	int replayed = 0;

	(void)state;
	standby_stop(); /* stopped already, unless run alone */
	assert_outcome_unknown(idem_call(&resp, &replayed, 4));
	assert_int_equal(rows_with(4), 1);
	assert_outcome_unknown(idem_call(&resp, &replayed, 4));
	assert_int_equal(replayed, 1);
	/* The look before a transaction (idem_replayed) is fenced too. */
	kolo__ledger__v1__get_balance_response__init(&resp);
	db_deadline_set(conn, 500);
	assert_outcome_unknown(idem_replayed(conn, &idem_k, w.arena, &resp.base));
	standby_start();
	assert_int_equal(idem_call(&resp, &replayed, 4), 0);
	assert_int_equal(replayed, 1);
	assert_int_equal(resp.balance_kobo, 4242);
	assert_int_equal(rows_with(4), 1);
	kolo__ledger__v1__get_balance_response__init(&resp);
	assert_int_equal(idem_replayed(conn, &idem_k, w.arena, &resp.base), 1);
	assert_int_equal(resp.balance_kobo, 4242);
}

static int
post_credit(const char *group, const char *account, const char *reference,
	    Kolo__Ledger__V1__PostEntryResponse **resp)
{
	Kolo__Ledger__V1__PostEntryRequest req = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	test_caller who = {.internal = 1, .timeout_ms = 1500};

	req.group_id = (char *)group;
	req.account_id = (char *)account;
	req.type = CREDIT;
	req.amount_kobo = 5000;
	req.source = "demo";
	req.reference = (char *)reference;
	req.client_ref = "";
	req.simulated = 1;
	return test_call(&w.ledger, "PostEntry", &req.base, (ProtobufCMessage **)resp, w.arena,
			 &who);
}

/* Waits until no commit of the world's database waits for the standby:
 * a caller whose own deadline ran out first leaves the ledger's statement
 * to be cancelled at its deadline, and its row is seen only then. */
static void
ledger_settled(void)
{
	for (int i = 0; i < 600; i++) {
		if (test_pg_long(w.admin, "SELECT count(*) FROM pg_stat_activity"
					  " WHERE datname = current_database()"
					  " AND wait_event = 'SyncRep'") == 0)
			return;
		usleep(20 * 1000);
	}
	fail_msg("a commit still waits for the standby");
}

/* A failure that is not success: the commit's outcome, or the caller's
 * deadline passing first. */
static void
assert_not_acknowledged(int rc)
{
	if (rc != 0)
		fprintf(stderr, "test_ha: not acknowledged: %d %s\n", rc, err_last()->reason);
	assert_true(rc == ERR_UNAVAILABLE || rc == ERR_DEADLINE_EXCEEDED);
	if (rc == ERR_UNAVAILABLE)
		assert_string_equal(err_last()->reason, "commit_outcome_unknown");
}

/* (e) kolo-ledger: a credit whose commit the standby did not confirm is
 * not acknowledged, nor is its replay by reference while the standby is
 * away; once it is back the replay answers the one entry. */
static void
test_ledger_replay_fenced(void **state)
{
	Kolo__Ledger__V1__PostEntryResponse *resp = NULL;
	test_user owner;
	char group[64], account[64];

	(void)state;
	standby_start(); /* running, unless a test before failed */
	test_identity_user(&w.identity, &owner, "ha");
	test_world_group(&w, &owner, "HA group", group);
	test_world_account(&w, group, account);
	standby_stop();
	assert_not_acknowledged(post_credit(group, account, "ha-credit-1", &resp));
	ledger_settled();
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM ledger_entry"
					       " WHERE reference = 'ha-credit-1'"),
			 1);
	assert_not_acknowledged(post_credit(group, account, "ha-credit-1", &resp));
	standby_start();
	assert_int_equal(post_credit(group, account, "ha-credit-1", &resp), 0);
	assert_int_equal(resp->replayed, 1);
	assert_int_equal(resp->entry->amount_kobo, 5000);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM ledger_entry"
					       " WHERE reference = 'ha-credit-1'"),
			 1);
}

/* (g) kolo-withdrawals: a refusal that reports the withdrawal's state
 * (not_pending) is not given while that state is a commit the standby has
 * not confirmed: after a failover the client would have been told of a
 * decision that is gone. Once the standby has it, the refusal stands. */
static int
approve_as(const char *id, const test_user *as)
{
	Kolo__Withdrawals__V1__ApproveWithdrawalRequest req =
		KOLO__WITHDRAWALS__V1__APPROVE_WITHDRAWAL_REQUEST__INIT;
	Kolo__Withdrawals__V1__ApproveWithdrawalResponse *resp = NULL;

	req.withdrawal_id = (char *)id;
	req.pin = (char *)TEST_PIN;
	return test_world_call(&w, &w.withdrawals, "ApproveWithdrawal", &req, &resp, as);
}

static void
test_refusal_fenced(void **state)
{
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	const char *params[1];
	test_team t;

	(void)state;
	standby_start(); /* running, unless a test before failed */
	test_world_team(&w, &t, "hawd", "HA withdrawals", TEST_TEAM_PINS);
	assert_int_equal(test_world_deposit(&w, t.group, &t.owner, 100000), 0);
	assert_int_equal(test_world_withdraw(&w, t.group, &t.owner, 20000, "0123456789", TEST_PIN,
					     NULL, &wd),
			 0);
	params[0] = wd->id;
	standby_stop();
	/* Declined on the primary alone: the commit's wait is cancelled. */
	db_deadline_set(conn, 300);
	assert_not_acknowledged(db_run(conn,
				       "UPDATE withdrawal_request SET status = 'DECLINED'"
				       " WHERE id = $1::uuid",
				       1, params));
	ledger_settled();
	/* Before: FAILED_PRECONDITION not_pending, read from that commit. */
	assert_not_acknowledged(approve_as(wd->id, &t.treasurer));
	ledger_settled();
	standby_start();
	assert_int_equal(approve_as(wd->id, &t.treasurer), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "not_pending");
}

/* --- (f) failover ------------------------------------------------------ */

typedef struct failover {
	const char *url; /* the multi-host conninfo */
	sem_t killed;	 /* posted once the standby is promoted */
	int first_rc;	 /* the db_tx whose COMMIT was in flight */
	char first_reason[ERR_REASON_MAX];
	int second_rc; /* the next db_tx, on the new primary */
	char port_before[16], port_after[16];
} failover;

static void
server_port(char out[16])
{
	db_conn *c = NULL;
	PGresult *res = NULL;

	out[0] = '\0';
	if (db_thread_conn(&c) == 0 && db_exec(c, &res, "SHOW port", 0, NULL) == 0)
		snprintf(out, 16, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

static void *
failover_thread(void *arg)
{
	failover *f = arg;
	db_conn *c = NULL;
	int id = 100;

	db_thread_set_conninfo(f->url);
	server_port(f->port_before);
	f->first_rc = db_thread_conn(&c);
	if (f->first_rc == 0)
		f->first_rc = db_tx(c, 20000, insert_body, &id);
	snprintf(f->first_reason, sizeof(f->first_reason), "%s", err_last()->reason);
	sem_wait(&f->killed);
	id = 101;
	f->second_rc = db_thread_conn(&c);
	if (f->second_rc == 0)
		f->second_rc = db_tx(c, 5000, insert_body, &id);
	server_port(f->port_after);
	db_thread_close();
	return NULL;
}

/* (f) A multi-host conninfo naming the standby first lands on the primary;
 * a COMMIT in flight when the primary is killed is not acknowledged; the
 * standby promoted, the same thread's next transaction commits there with
 * no restart. */
static void
test_failover(void **state)
{
	const char *pdir = env("KOLO_HA_PRIMARY_DIR"), *sdir = env("KOLO_HA_STANDBY_DIR");
	const char *pport = env("KOLO_HA_PRIMARY_PORT"), *sport = env("KOLO_HA_STANDBY_PORT");
	char url[512], promoted_info[512], *admin_info;
	PGconn *admin, *promoted;
	failover f = {.url = url};
	pthread_t th;
	int waiting = 0;

	(void)state;
	snprintf(url, sizeof(url),
		 "host=%s,%s port=%s,%s dbname=postgres user=postgres"
		 " target_session_attrs=read-write connect_timeout=5",
		 sdir, pdir, sport, pport);
	snprintf(promoted_info, sizeof(promoted_info),
		 "host=%s port=%s dbname=postgres user=postgres", sdir, sport);
	admin_info = test_pg_conninfo("postgres", NULL);
	admin = test_pg_connect(admin_info);
	free(admin_info);
	test_pg_ok(admin, "CREATE TABLE ha_t (id int PRIMARY KEY)");
	/* Commits now wait for a second standby that never comes: the row
	 * streams to the standby, the COMMIT stays in flight. */
	test_pg_ok(admin, "ALTER SYSTEM SET synchronous_standby_names ="
			  " 'FIRST 2 (kolo_standby, kolo_ghost)'");
	test_pg_ok(admin, "SELECT pg_reload_conf()");
	sem_init(&f.killed, 0, 0);
	assert_int_equal(pthread_create(&th, NULL, failover_thread, &f), 0);
	for (int i = 0; i < 600 && !waiting; i++) {
		waiting = test_pg_long(admin, "SELECT count(*) FROM pg_stat_activity"
					      " WHERE wait_event = 'SyncRep'") > 0;
		if (!waiting)
			usleep(20 * 1000);
	}
	PQfinish(admin);
	if (waiting)
		pg_sh("kolo_pg_kill %s && kolo_pg_promote %s", pdir, sdir);
	sem_post(&f.killed);
	pthread_join(th, NULL);
	sem_destroy(&f.killed);
	fprintf(stderr, "test_ha: failover: ports %s -> %s, in flight %d %s, next %d\n",
		f.port_before, f.port_after, f.first_rc, f.first_reason, f.second_rc);
	assert_true(waiting);
	assert_string_equal(f.port_before, pport);
	assert_int_equal(f.first_rc, ERR_UNAVAILABLE);
	assert_true(strcmp(f.first_reason, "commit_outcome_unknown") == 0 ||
		    strcmp(f.first_reason, "database_unavailable") == 0);
	assert_int_equal(f.second_rc, 0);
	assert_string_equal(f.port_after, sport);
	promoted = test_pg_connect(promoted_info);
	assert_int_equal(test_pg_long(promoted, "SELECT count(*) FROM ha_t WHERE id = 101"), 1);
	PQfinish(promoted);
}

int
main(int argc, char **argv)
{
	(void)argc;
	/* Run by itself (e.g. scripts/valgrind-tests): through the wrapper
	 * that starts the primary and the standby. */
	if (!getenv("KOLO_HA_STANDBY_DIR")) {
		execl("/bin/bash", "bash", KOLO_SOURCE_DIR "/tests/integration/ha/run.sh", argv[0],
		      (char *)NULL);
		perror("run.sh");
		return 1;
	}
	const struct CMUnitTest standby[] = {
		cmocka_unit_test(test_tx_commit_bounded),
		cmocka_unit_test(test_autocommit_bounded),
		cmocka_unit_test(test_no_deadline_capped),
		cmocka_unit_test(test_idem_replay_fenced),
		cmocka_unit_test(test_ledger_replay_fenced),
		cmocka_unit_test(test_refusal_fenced),
	};
	const struct CMUnitTest after[] = {
		cmocka_unit_test(test_failover),
	};
	int failed;

	/* KOLO_HA_ONLY: a glob of the tests to run (one at a time, to show
	 * each hang on code without the bounded wait). */
	if (getenv("KOLO_HA_ONLY"))
		cmocka_set_test_filter(getenv("KOLO_HA_ONLY"));
	failed = cmocka_run_group_tests_name("standby", standby, group_setup, group_teardown);

	/* After the others: it kills the primary. */
	return failed + cmocka_run_group_tests_name("failover", after, NULL, NULL);
}
