/* Reads from a read replica (db_read; DESIGN §18) over real gRPC against a
 * real primary and its streaming hot standby: run_replica.sh starts both
 * and sets KOLO_TEST_PG (the primary), KOLO_TEST_PG_READ (the words that
 * name the standby) and KOLO_TEST_PG_READ_STOP / _START (shell commands
 * that stop and start it; run alone, the program runs itself through
 * it). The world's ledger and withdrawals read their
 * lists from the standby; balances, withdrawals and deposits stay on the
 * primary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "metrics/metrics.h"
#include "test_world.h"

#define PIN	     TEST_PIN
#define GOOD_ACCOUNT "0123456789"
/* How long a wait for the standby may take before the test fails. */
#define WAIT_MS 30000

static test_world w;
static PGconn *standby; /* superuser, on the standby's copy of w's database */

static void
sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* Waits until the standby's sql (a boolean about lsn) is true. */
static void
wait_standby(const char *sql_fmt, const char *lsn)
{
	for (int waited = 0; waited < WAIT_MS; waited += 20) {
		char *v = test_pg_valuef(standby, sql_fmt, lsn);
		int done = strcmp(v, "t") == 0;

		free(v);
		if (done)
			return;
		sleep_ms(20);
	}
	fail_msg("the standby did not get to %s", lsn);
}

/* Waits until the standby has replayed everything the primary wrote. */
static void
wait_replayed(void)
{
	char *lsn = test_pg_value(w.admin, "SELECT pg_current_wal_lsn()");

	wait_standby("SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn", lsn);
	free(lsn);
}

/* Waits until the standby has received (not replayed) all the primary wrote. */
static void
wait_received(void)
{
	char *lsn = test_pg_value(w.admin, "SELECT pg_current_wal_lsn()");

	wait_standby("SELECT pg_last_wal_receive_lsn() >= '%s'::pg_lsn", lsn);
	free(lsn);
}

static void
pause_replay(void)
{
	test_pg_ok(standby, "SELECT pg_wal_replay_pause()");
	for (int waited = 0; waited < WAIT_MS; waited += 20) {
		char *v = test_pg_value(standby, "SELECT pg_get_wal_replay_pause_state()");
		int paused = strcmp(v, "paused") == 0;

		free(v);
		if (paused)
			return;
		sleep_ms(20);
	}
	fail_msg("the standby did not pause");
}

static void
resume_replay(void)
{
	test_pg_ok(standby, "SELECT pg_wal_replay_resume()");
}

/* Runs the shell command in the environment variable name. */
static void
run_env_command(const char *name)
{
	const char *cmd = getenv(name);

	assert_non_null(cmd);
	assert_int_equal(system(cmd), 0);
}

/* A superuser connection to the standby's copy of w's database. */
static PGconn *
connect_standby(void)
{
	char *conninfo = NULL, *admin = test_pg_conninfo(w.dbname, NULL);
	PGconn *pg;

	if (!admin || asprintf(&conninfo, "%s %s", admin, getenv("KOLO_TEST_PG_READ")) < 0)
		abort();
	free(admin);
	pg = test_pg_connect(conninfo);
	free(conninfo);
	return pg;
}

static int
setup(void **state)
{
	const char *read = getenv("KOLO_TEST_PG_READ");

	if (!read || !read[0]) {
		fprintf(stderr, "KOLO_TEST_PG_READ is not set (run run_replica.sh)\n");
		return -1;
	}
	if (test_world_setup(state) < 0 || !w.ledger_read_conninfo)
		return -1;
	standby = connect_standby();
	test_pg_ok(w.admin, "SET TIME ZONE 'UTC'");
	return 0;
}

static int
teardown(void **state)
{
	if (standby)
		PQfinish(standby);
	return test_world_teardown(state);
}

static Kolo__Ledger__V1__ListEntriesResponse *
list_entries(const test_team *t)
{
	Kolo__Ledger__V1__ListEntriesRequest req = KOLO__LEDGER__V1__LIST_ENTRIES_REQUEST__INIT;
	Kolo__Ledger__V1__ListEntriesResponse *resp = NULL;

	req.group_id = (char *)t->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "ListEntries", &req, &resp, &t->owner), 0);
	return resp;
}

static Kolo__Withdrawals__V1__ListWithdrawalsResponse *
list_withdrawals(const test_team *t)
{
	Kolo__Withdrawals__V1__ListWithdrawalsRequest req =
		KOLO__WITHDRAWALS__V1__LIST_WITHDRAWALS_REQUEST__INIT;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *resp = NULL;

	req.group_id = (char *)t->group;
	assert_int_equal(
		test_world_call(&w, &w.withdrawals, "ListWithdrawals", &req, &resp, &t->owner), 0);
	return resp;
}

static Kolo__Ledger__V1__GetBalanceResponse *
get_balance(const test_team *t)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)t->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, &t->owner), 0);
	return resp;
}

/* count(*) of the group's rows of table on the primary. */
static long
count_on_primary(const test_team *t, const char *table)
{
	return test_pg_longf(w.admin, "SELECT count(*) FROM %s WHERE group_id = '%s'", table,
			     t->group);
}

/* The newest created_at of the group's rows of table on the primary, in
 * the replies' RFC 3339 form. Owned by the caller. */
static char *
newest_on_primary(const test_team *t, const char *table)
{
	return test_pg_valuef(w.admin,
			      "SELECT to_char(max(created_at), 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
			      " FROM %s WHERE group_id = '%s'",
			      table, t->group);
}

/* "2026-12-07T00:13:38.235609Z" */
static void
assert_rfc3339_utc(const char *s)
{
	assert_int_equal(strlen(s), 27);
	assert_true(s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[26] == 'Z');
}

/* A caught-up standby serves the lists: every row the primary has, and an
 * as_of no older than the newest of them. */
static void
test_lists_from_the_replica_carry_as_of_and_its_rows(void **state)
{
	test_team t;
	Kolo__Ledger__V1__ListEntriesResponse *entries;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *wds;
	char *newest;

	(void)state;
	test_world_team(&w, &t, "replica-rows", "Replica rows", TEST_TEAM_PINS);
	assert_int_equal(test_world_deposit(&w, t.group, &t.owner, 100000), 0);
	assert_int_equal(
		test_world_withdraw(&w, t.group, &t.owner, 40000, GOOD_ACCOUNT, PIN, NULL, NULL),
		0);
	wait_replayed();
	entries = list_entries(&t);
	assert_int_equal(entries->n_entries, count_on_primary(&t, "ledger_entry"));
	assert_true(entries->n_entries >= 1);
	assert_rfc3339_utc(entries->as_of);
	newest = newest_on_primary(&t, "ledger_entry");
	assert_true(strcmp(entries->as_of, newest) >= 0);
	free(newest);
	wds = list_withdrawals(&t);
	assert_int_equal(wds->n_withdrawals, 1);
	assert_int_equal(wds->withdrawals[0]->amount_kobo, 40000);
	assert_rfc3339_utc(wds->as_of);
	newest = newest_on_primary(&t, "withdrawal_request");
	assert_true(strcmp(wds->as_of, newest) >= 0);
	free(newest);
}

/* With the standby's replay paused, the balance and the withdrawal's check
 * of it (primary) see a deposit the lists (standby) do not, and the lists
 * say so with an as_of older than that deposit. */
static void
test_balance_is_fresh_while_lists_from_a_paused_replica_are_stale(void **state)
{
	test_team t;
	Kolo__Ledger__V1__ListEntriesResponse *entries;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *wds;
	Kolo__Withdrawals__V1__Withdrawal *wd = NULL;
	long before;
	char *second;

	(void)state;
	test_world_team(&w, &t, "replica-paused", "Replica paused", TEST_TEAM_PINS);
	assert_int_equal(test_world_deposit(&w, t.group, &t.owner, 100000), 0);
	wait_replayed();
	before = count_on_primary(&t, "ledger_entry");
	pause_replay();
	assert_int_equal(test_world_deposit(&w, t.group, &t.owner, 50000), 0);
	second = newest_on_primary(&t, "ledger_entry");
	/* More than the standby's balance: only the primary's allows it. */
	assert_int_equal(
		test_world_withdraw(&w, t.group, &t.owner, 120000, GOOD_ACCOUNT, PIN, NULL, &wd),
		0);
	wait_received();

	assert_int_equal(get_balance(&t)->balance_kobo, 150000);
	assert_int_equal(get_balance(&t)->held_kobo, 120000);
	entries = list_entries(&t);
	assert_int_equal(entries->n_entries, before);
	assert_true(count_on_primary(&t, "ledger_entry") > before);
	assert_rfc3339_utc(entries->as_of);
	assert_true(strcmp(entries->as_of, second) < 0);
	wds = list_withdrawals(&t);
	assert_int_equal(wds->n_withdrawals, 0);
	assert_rfc3339_utc(wds->as_of);
	assert_true(strcmp(wds->as_of, second) < 0);

	resume_replay();
	wait_replayed();
	wds = list_withdrawals(&t);
	assert_int_equal(wds->n_withdrawals, 1);
	assert_string_equal(wds->withdrawals[0]->id, wd->id);
	assert_true(strcmp(wds->as_of, second) > 0);
	free(second);
}

static int
dues_status(const test_team *t, const test_user *as, Kolo__Groups__V1__GetDuesStatusResponse **out)
{
	Kolo__Groups__V1__GetDuesStatusRequest req =
		KOLO__GROUPS__V1__GET_DUES_STATUS_REQUEST__INIT;

	req.group_id = (char *)t->group;
	return test_world_call(&w, &w.groups, "GetDuesStatus", &req, out, as);
}

static int
member_statement(const test_team *t, const test_user *as, const test_user *whose,
		 Kolo__Groups__V1__GetMemberStatementResponse **out)
{
	Kolo__Groups__V1__GetMemberStatementRequest req =
		KOLO__GROUPS__V1__GET_MEMBER_STATEMENT_REQUEST__INIT;

	req.group_id = (char *)t->group;
	req.user_id = (char *)whose->id;
	return test_world_call(&w, &w.groups, "GetMemberStatement", &req, out, as);
}

static void
remove_member(const test_team *t, const test_user *who)
{
	Kolo__Groups__V1__RemoveMemberRequest req = KOLO__GROUPS__V1__REMOVE_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__RemoveMemberResponse *resp = NULL;

	req.group_id = (char *)t->group;
	req.user_id = (char *)who->id;
	assert_int_equal(test_world_call(&w, &w.groups, "RemoveMember", &req, &resp, &t->owner), 0);
}

/* Standings and statements come from the replicas (groups' and the
 * ledger's) with data_as_of; who may read them is the primary's word: a
 * member removed while the replica is paused is refused at once, though
 * the replica still lists them. */
static void
test_statements_from_the_replica_carry_as_of_but_not_its_permissions(void **state)
{
	test_team t;
	Kolo__Groups__V1__GetDuesStatusResponse *st = NULL;
	Kolo__Groups__V1__GetMemberStatementResponse *stmt = NULL;

	(void)state;
	test_world_team(&w, &t, "replica-dues", "Replica dues", TEST_TEAM_PINS);
	wait_replayed();
	assert_int_equal(dues_status(&t, &t.owner, &st), 0);
	assert_int_equal(st->n_members, 3);
	assert_rfc3339_utc(st->data_as_of);
	assert_int_equal(member_statement(&t, &t.member, &t.member, &stmt), 0);
	assert_rfc3339_utc(stmt->data_as_of);

	pause_replay();
	remove_member(&t, &t.member);
	wait_received();
	/* The replica still has three members; the primary refuses the
	 * removed one. */
	assert_int_equal(dues_status(&t, &t.owner, &st), 0);
	assert_int_equal(st->n_members, 3);
	assert_rfc3339_utc(st->data_as_of);
	assert_int_equal(member_statement(&t, &t.member, &t.member, &stmt), ERR_NOT_FOUND);
	resume_replay();
	wait_replayed();
	assert_int_equal(dues_status(&t, &t.owner, &st), 0);
	assert_int_equal(st->n_members, 2);
}

/* The text of metrics_write(). Owned by the caller. */
static char *
exposition(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	metrics_write(f);
	fclose(f);
	return text;
}

/* kolo_db_connects_total{outcome="failed"} of this process. */
static long
failed_connects(void)
{
	char *text = exposition();
	const char *line = strstr(text, "\nkolo_db_connects_total{outcome=\"failed\"} ");
	long n = line ? atol(strchr(line + 1, ' ') + 1) : 0;

	free(text);
	return n;
}

/* The replica stopped: lists come from the primary, current, without as_of;
 * started again: from the replica again (after its retry pause). */
static void
test_replica_down_lists_fall_back_to_the_primary(void **state)
{
	test_team t;
	Kolo__Ledger__V1__ListEntriesResponse *entries;
	Kolo__Withdrawals__V1__ListWithdrawalsResponse *wds;
	long failed_before;
	time_t started;
	int waited;

	(void)state;
	test_world_team(&w, &t, "replica-down", "Replica down", TEST_TEAM_PINS);
	assert_int_equal(test_world_deposit(&w, t.group, &t.owner, 100000), 0);
	wait_replayed();
	PQfinish(standby);
	standby = NULL;
	run_env_command("KOLO_TEST_PG_READ_STOP");
	assert_int_equal(test_world_deposit(&w, t.group, &t.owner, 5000), 0);
	failed_before = failed_connects();
	started = time(NULL);
	/* Several calls: each of the services' workers finds it down. */
	for (int i = 0; i < 8; i++) {
		entries = list_entries(&t);
		assert_int_equal(entries->n_entries, count_on_primary(&t, "ledger_entry"));
		assert_string_equal(entries->as_of, "");
		wds = list_withdrawals(&t);
		assert_int_equal(wds->n_withdrawals, 0);
		assert_string_equal(wds->as_of, "");
	}
	/* Each worker thread of ledger and withdrawals (4 each) tried to
	 * connect at most once: then it waits 5 s before trying again (when
	 * the loop was that quick, as it is). */
	if (time(NULL) - started < 4)
		assert_true(failed_connects() - failed_before <= 8);
	assert_int_equal(get_balance(&t)->balance_kobo, 105000);
	{
		Kolo__Groups__V1__GetDuesStatusResponse *st = NULL;

		assert_int_equal(dues_status(&t, &t.owner, &st), 0);
		assert_string_equal(st->data_as_of, "");
	}

	run_env_command("KOLO_TEST_PG_READ_START");
	for (waited = 0; waited < WAIT_MS; waited += 100) {
		entries = list_entries(&t);
		if (entries->as_of[0])
			break;
		sleep_ms(100);
	}
	assert_true(entries->as_of[0]);
	assert_int_equal(entries->n_entries, count_on_primary(&t, "ledger_entry"));
	standby = connect_standby();
}

/* kolo_db_replica_lag_seconds: a number, measured at scrape, while a
 * replica is configured; gone when none is. */
static void
test_lag_metric_is_measured_at_scrape(void **state)
{
	char *text, *line;
	double lag = -1;

	(void)state;
	assert_int_equal(db_replica_configure(w.ledger_read_conninfo), 0);
	text = exposition();
	line = strstr(text, "\nkolo_db_replica_lag_seconds ");
	assert_non_null(line);
	assert_int_equal(sscanf(line, "\nkolo_db_replica_lag_seconds %lf", &lag), 1);
	assert_true(lag >= 0);
	assert_non_null(strstr(text, "# TYPE kolo_db_replica_lag_seconds gauge"));
	free(text);
	db_replica_unconfigure();
	db_replica_thread_close();
	text = exposition();
	assert_null(strstr(text, "kolo_db_replica_lag_seconds"));
	free(text);
}

int
main(int argc, char **argv)
{
	(void)argc;
	/* Run by itself (e.g. scripts/valgrind-tests): through the wrapper
	 * that starts the primary and the standby. */
	if (!getenv("KOLO_TEST_PG_READ")) {
		execl("/bin/bash", "bash",
		      KOLO_SOURCE_DIR "/tests/integration/replica/run_replica.sh", KOLO_SOURCE_DIR,
		      argv[0], (char *)NULL);
		perror("run_replica.sh");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_lists_from_the_replica_carry_as_of_and_its_rows,
					  test_world_check_ledger),
		cmocka_unit_test_teardown(
			test_balance_is_fresh_while_lists_from_a_paused_replica_are_stale,
			test_world_check_ledger),
		cmocka_unit_test_teardown(
			test_statements_from_the_replica_carry_as_of_but_not_its_permissions,
			test_world_check_ledger),
		cmocka_unit_test(test_lag_metric_is_measured_at_scrape),
		cmocka_unit_test_teardown(test_replica_down_lists_fall_back_to_the_primary,
					  test_world_check_ledger),
	};

	test_world_use(&w);
	return cmocka_run_group_tests(tests, setup, teardown);
}
