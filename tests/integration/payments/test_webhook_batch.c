/* Deposit webhooks stored in batches (issue 25, group commit): concurrent
 * HandleWebhook calls share one INSERT and one commit, each answered with
 * its own row and status; a batch the database refuses acknowledges
 * nothing and each of its deliveries is stored alone. kolo-payments with
 * the Flutterwave provider against the fake Flutterwave server, over real
 * gRPC, with identity, groups and ledger in the same process.
 *
 * The batches are made certain, not hoped for: the test holds a lock on
 * webhook_event (the first writer waits on it) until the others are queued
 * behind that writer (pay_webhook_store_queued), then lets go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "payments_service.h"
#include "provider.h"
#include "test_fake_flw.h"
#include "test_world.h"

#define SECRET_HASH "kolo-flw-hash-6b1d0c3e9a"
#define WRONG_HASH  "kolo-flw-hash-6b1d0c3e9b"
/* How long a wait for the queue may take before the test fails (a cap,
 * never a measure). */
#define WAIT_CAP_MS 30000

static test_world w;
static int next_transaction = 7500001;

static int
setup(void **state)
{
	pay_flutterwave_config cfg = {.secret_key = TEST_FAKE_FLW_SECRET_KEY,
				      .secret_hash = SECRET_HASH,
				      .timeout_ms = 2000};
	pay_provider *p = NULL;

	(void)state;
	if (test_fake_flw_start() < 0 || test_world_start(&w) < 0)
		return -1;
	cfg.base_url = test_fake_flw_url();
	if (pay_flutterwave_new(&p, &cfg) < 0)
		return -1;
	test_world_provider(&w, p);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_world_stop(&w);
	test_fake_flw_stop();
	return 0;
}

static int
check_invariant(void **state)
{
	(void)state;
	test_pg_payments_invariant(w.admin);
	return 0;
}

/* --- the world ------------------------------------------------------------ */

typedef struct club {
	test_user owner;
	char group[64];
	char tx_ref[96];
} club;

static void
open_club(club *c, const char *tag)
{
	char *ref;

	test_identity_user(&w.identity, &c->owner, tag);
	test_world_group(&w, &c->owner, "Ajo Savings Club", c->group);
	ref = test_pg_valuef(w.admin, "SELECT client_ref FROM va_request WHERE group_id = '%s'",
			     c->group);
	snprintf(c->tx_ref, sizeof(c->tx_ref), "%s", ref);
	free(ref);
}

static int64_t
balance(const club *c)
{
	Kolo__Ledger__V1__GetBalanceRequest req = KOLO__LEDGER__V1__GET_BALANCE_REQUEST__INIT;
	Kolo__Ledger__V1__GetBalanceResponse *resp = NULL;

	req.group_id = (char *)c->group;
	assert_int_equal(test_world_call(&w, &w.ledger, "GetBalance", &req, &resp, NULL), 0);
	return resp->balance_kobo;
}

static char *
new_transaction(void)
{
	return mem_arena_printf(w.arena, "%d", next_transaction++);
}

static char *
charge_body(const char *transaction, const char *tx_ref, const char *amount)
{
	return mem_arena_printf(
		w.arena,
		"{\"event\":\"charge.completed\",\"data\":{\"id\":%s,\"tx_ref\":\"%s\","
		"\"flw_ref\":\"FLW-MOCK-%s\",\"amount\":%s,\"currency\":\"NGN\","
		"\"charged_amount\":%s,\"app_fee\":0,\"status\":\"successful\","
		"\"payment_type\":\"bank_transfer\",\"created_at\":\"2024-06-01T10:00:00.000Z\","
		"\"customer\":{\"id\":1,\"name\":\"Ada\",\"email\":\"ada@example.com\"}},"
		"\"event.type\":\"BANK_TRANSFER_TRANSACTION\"}",
		transaction, tx_ref, transaction, amount, amount);
}

/* --- deliveries on their own threads ----------------------------------------- */

typedef struct delivery {
	const char *body;
	const char *hash;
	pthread_t thread;
	int rc;
	char reason[64];
	char status[32];
	char event_id[64];
} delivery;

static void *
delivery_run(void *arg)
{
	delivery *d = arg;
	mem_arena *arena = mem_arena_new(0);
	test_caller who = {.internal = 1};
	Kolo__Payments__V1__HandleWebhookRequest req =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__Header sig = KOLO__PAYMENTS__V1__HEADER__INIT;
	Kolo__Payments__V1__Header *headers[] = {&sig};
	Kolo__Payments__V1__HandleWebhookResponse *resp = NULL;

	sig.name = "verif-hash";
	sig.value = (char *)d->hash;
	req.provider = "flutterwave";
	req.raw_body.data = (uint8_t *)d->body;
	req.raw_body.len = strlen(d->body);
	req.headers = headers;
	req.n_headers = 1;
	d->rc = test_call(&w.payments, "HandleWebhook", &req.base, (ProtobufCMessage **)&resp,
			  arena, &who);
	if (d->rc != 0)
		snprintf(d->reason, sizeof(d->reason), "%s", err_last()->reason);
	else {
		snprintf(d->status, sizeof(d->status), "%s", resp->status);
		snprintf(d->event_id, sizeof(d->event_id), "%s", resp->event_id);
	}
	mem_arena_free(arena);
	rpc_client_thread_done();
	return NULL;
}

static void
deliver(delivery *d, const char *body, const char *hash)
{
	memset(d, 0, sizeof(*d));
	d->body = body;
	d->hash = hash;
	assert_int_equal(pthread_create(&d->thread, NULL, delivery_run, d), 0);
}

static void
pause_ms(long ms)
{
	struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* Waits until at least n deliveries are queued behind the writer. */
static void
wait_queued(size_t n)
{
	for (long waited = 0; pay_webhook_store_queued() < n; waited += 5) {
		if (waited > WAIT_CAP_MS)
			fail_msg("%zu deliveries never queued (%zu are)", n,
				 pay_webhook_store_queued());
		pause_ms(5);
	}
}

/* Waits until a statement waits for the test's lock on webhook_event. */
static void
wait_blocked_writer(void)
{
	for (long waited = 0;
	     test_pg_long(w.admin, "SELECT count(*) FROM pg_locks WHERE NOT granted"
				   " AND relation = 'webhook_event'::regclass") < 1;
	     waited += 5) {
		if (waited > WAIT_CAP_MS)
			fail_msg("no writer ever waited for webhook_event");
		pause_ms(5);
	}
}

/* The test's lock: writers of webhook_event wait until it is released. */
static void
hold_event_table(void)
{
	test_pg_ok(w.admin, "BEGIN");
	test_pg_ok(w.admin, "LOCK TABLE webhook_event IN EXCLUSIVE MODE");
}

static void
release_event_table(void)
{
	test_pg_ok(w.admin, "COMMIT");
}

static long
events_of(const char *transaction)
{
	return test_pg_longf(w.admin,
			     "SELECT count(*) FROM webhook_event WHERE signature_valid"
			     " AND raw_payload->'data'->>'id' = '%s'",
			     transaction);
}

static long
credits_of(const char *transaction)
{
	return test_pg_longf(w.admin,
			     "SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
			     " AND type = 'CREDIT'",
			     transaction);
}

/* The row of a delivery answered event_id: there, with its own body. */
static void
assert_own_row(const delivery *d, const char *transaction)
{
	assert_int_equal(test_pg_longf(w.admin,
				       "SELECT count(*) FROM webhook_event WHERE id = '%s'"
				       " AND raw_payload->'data'->>'id' = '%s' AND processed",
				       d->event_id, transaction),
			 1);
}

static int64_t
batched_items(void)
{
	return metrics_value(&pay_metric_batched_items, "batch=\"webhook_store\"");
}

static int64_t
batches(const char *size, const char *result)
{
	char labels[METRICS_LABELS_MAX];

	snprintf(labels, sizeof(labels), "batch=\"webhook_store\",size=\"%s\",result=\"%s\"", size,
		 result);
	return metrics_value(&pay_metric_batches, labels);
}

/* --- tests ---------------------------------------------------------------- */

#define DISTINCT 3

/* Distinct deposits, one deposit delivered twice at once and a delivery
 * with a bad signature, all at the same moment: the signed ones share
 * batches, yet each is stored once, credited once and answered its own. */
static void
test_concurrent_deliveries_share_a_commit_and_each_is_answered_its_own(void **state)
{
	club c;
	char *tx[DISTINCT], *twice = new_transaction(), *forged = new_transaction();
	delivery distinct[DISTINCT], pair[2], bad;
	int64_t before = batched_items();
	int processed = 0, duplicate = 0, queued = 0;

	(void)state;
	open_club(&c, "batch-deposits");
	for (int i = 0; i < DISTINCT; i++) {
		tx[i] = new_transaction();
		test_fake_flw_transaction(tx[i], c.tx_ref, "100.00", "successful");
	}
	test_fake_flw_transaction(twice, c.tx_ref, "250.50", "successful");
	test_fake_flw_transaction(forged, c.tx_ref, "9999.00", "successful");

	hold_event_table();
	for (int i = 0; i < DISTINCT; i++)
		deliver(&distinct[i], charge_body(tx[i], c.tx_ref, "100.00"), SECRET_HASH);
	deliver(&pair[0], charge_body(twice, c.tx_ref, "250.50"), SECRET_HASH);
	deliver(&pair[1], charge_body(twice, c.tx_ref, "250.50"), SECRET_HASH);
	deliver(&bad, charge_body(forged, c.tx_ref, "9999.00"), WRONG_HASH);
	/* One writer waits for the lock; at least two wait behind it. */
	wait_queued(2);
	release_event_table();
	for (int i = 0; i < DISTINCT; i++)
		pthread_join(distinct[i].thread, NULL);
	pthread_join(pair[0].thread, NULL);
	pthread_join(pair[1].thread, NULL);
	pthread_join(bad.thread, NULL);

	assert_true(batched_items() >= before + 2);
	for (int i = 0; i < DISTINCT; i++) {
		assert_int_equal(distinct[i].rc, 0);
		assert_string_equal(distinct[i].status, "processed");
		assert_own_row(&distinct[i], tx[i]);
		assert_int_equal(events_of(tx[i]), 1);
		assert_int_equal(credits_of(tx[i]), 1);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pair[i].rc, 0);
		processed += strcmp(pair[i].status, "processed") == 0;
		duplicate += strcmp(pair[i].status, "duplicate") == 0;
		queued += strcmp(pair[i].status, "queued") == 0;
		assert_int_equal(test_pg_longf(w.admin,
					       "SELECT count(*) FROM webhook_event WHERE id = '%s'"
					       " AND raw_payload->'data'->>'id' = '%s'",
					       pair[i].event_id, twice),
				 1);
	}
	assert_string_not_equal(pair[0].event_id, pair[1].event_id);
	/* One credits; the other finds it credited, or lost the race to it
	 * and is queued for the worker. */
	assert_int_equal(processed, 1);
	assert_int_equal(duplicate + queued, 1);
	assert_int_equal(events_of(twice), 2);
	assert_int_equal(credits_of(twice), 1);
	/* The forged one: refused, kept unverified, never credited. */
	assert_int_not_equal(bad.rc, 0);
	assert_string_equal(bad.reason, "bad_signature");
	assert_int_equal(events_of(forged), 0);
	assert_int_equal(credits_of(forged), 0);
	assert_int_equal(balance(&c), DISTINCT * 10000 + 25050);
}

/* A batch the database refuses (here a trigger refuses one of its rows)
 * commits nothing and acknowledges nothing: each delivery of it is stored
 * alone, the refused one is answered an error and has no row. */
static void
test_refused_batch_acknowledges_nothing_and_each_is_stored_alone(void **state)
{
	club c;
	char *first = new_transaction(), *poison = new_transaction(), *tx[2];
	delivery lead, d[2], bad;
	int64_t alone = batches("2-4", "alone");

	(void)state;
	open_club(&c, "batch-refused");
	for (int i = 0; i < 2; i++) {
		tx[i] = new_transaction();
		test_fake_flw_transaction(tx[i], c.tx_ref, "100.00", "successful");
	}
	test_fake_flw_transaction(first, c.tx_ref, "100.00", "successful");
	test_fake_flw_transaction(poison, c.tx_ref, "100.00", "successful");
	test_pg_ok(w.admin, mem_arena_printf(w.arena,
					     "CREATE FUNCTION test_refuse_event() RETURNS trigger"
					     " LANGUAGE plpgsql AS $$ BEGIN IF NEW.raw_payload->"
					     "'data'->>'id' = '%s' THEN RAISE EXCEPTION"
					     " 'refused by the test'; END IF; RETURN NEW; END $$",
					     poison));
	test_pg_ok(w.admin, "CREATE TRIGGER test_refuse_event BEFORE INSERT ON webhook_event"
			    " FOR EACH ROW EXECUTE FUNCTION test_refuse_event()");

	/* The first writer waits for the lock with its own delivery alone;
	 * the poisoned one and two others queue behind it, one batch. */
	hold_event_table();
	deliver(&lead, charge_body(first, c.tx_ref, "100.00"), SECRET_HASH);
	wait_blocked_writer();
	deliver(&d[0], charge_body(tx[0], c.tx_ref, "100.00"), SECRET_HASH);
	deliver(&bad, charge_body(poison, c.tx_ref, "100.00"), SECRET_HASH);
	deliver(&d[1], charge_body(tx[1], c.tx_ref, "100.00"), SECRET_HASH);
	wait_queued(3);
	release_event_table();
	pthread_join(lead.thread, NULL);
	pthread_join(d[0].thread, NULL);
	pthread_join(d[1].thread, NULL);
	pthread_join(bad.thread, NULL);
	test_pg_ok(w.admin, "DROP TRIGGER test_refuse_event ON webhook_event");
	test_pg_ok(w.admin, "DROP FUNCTION test_refuse_event()");

	assert_int_equal(batches("2-4", "alone"), alone + 1);
	assert_int_equal(lead.rc, 0);
	assert_string_equal(lead.status, "processed");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(d[i].rc, 0);
		assert_string_equal(d[i].status, "processed");
		assert_own_row(&d[i], tx[i]);
		assert_int_equal(credits_of(tx[i]), 1);
	}
	/* Not stored, so not answered 200: the provider delivers it again. */
	assert_int_not_equal(bad.rc, 0);
	assert_int_equal(events_of(poison), 0);
	assert_int_equal(credits_of(poison), 0);
	assert_int_equal(balance(&c), 3 * 10000);
}

/* Deliveries handled at the same moment have their outcomes written
 * together: the first UPDATE waits (a trigger takes an advisory lock the
 * test holds) until the others are queued behind it. */
static void
test_outcomes_of_concurrent_deliveries_are_written_together(void **state)
{
	club c;
	char *first = new_transaction(), *tx[3];
	delivery lead, d[3];
	int64_t before = metrics_value(&pay_metric_batched_items, "batch=\"webhook_outcome\"");

	(void)state;
	open_club(&c, "batch-outcomes");
	test_fake_flw_transaction(first, c.tx_ref, "100.00", "successful");
	for (int i = 0; i < 3; i++) {
		tx[i] = new_transaction();
		test_fake_flw_transaction(tx[i], c.tx_ref, "100.00", "successful");
	}
	test_pg_ok(w.admin, "CREATE FUNCTION test_hold_outcome() RETURNS trigger LANGUAGE plpgsql"
			    " AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(2025);"
			    " RETURN NEW; END $$");
	test_pg_ok(w.admin, "CREATE TRIGGER test_hold_outcome BEFORE UPDATE ON webhook_event"
			    " FOR EACH ROW EXECUTE FUNCTION test_hold_outcome()");
	test_pg_ok(w.admin, "SELECT pg_advisory_lock(2025)");

	deliver(&lead, charge_body(first, c.tx_ref, "100.00"), SECRET_HASH);
	for (long waited = 0; test_pg_long(w.admin, "SELECT count(*) FROM pg_locks WHERE NOT"
						    " granted AND locktype = 'advisory'") < 1;
	     waited += 5) {
		if (waited > WAIT_CAP_MS)
			fail_msg("no outcome ever waited for the test's lock");
		pause_ms(5);
	}
	for (int i = 0; i < 3; i++)
		deliver(&d[i], charge_body(tx[i], c.tx_ref, "100.00"), SECRET_HASH);
	for (long waited = 0; pay_webhook_outcome_queued() < 3; waited += 5) {
		if (waited > WAIT_CAP_MS)
			fail_msg("3 outcomes never queued (%zu are)", pay_webhook_outcome_queued());
		pause_ms(5);
	}
	test_pg_ok(w.admin, "SELECT pg_advisory_unlock(2025)");
	pthread_join(lead.thread, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(d[i].thread, NULL);
	test_pg_ok(w.admin, "DROP TRIGGER test_hold_outcome ON webhook_event");
	test_pg_ok(w.admin, "DROP FUNCTION test_hold_outcome()");

	assert_int_equal(metrics_value(&pay_metric_batched_items, "batch=\"webhook_outcome\""),
			 before + 3);
	assert_int_equal(lead.rc, 0);
	assert_own_row(&lead, first);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(d[i].rc, 0);
		assert_string_equal(d[i].status, "processed");
		assert_int_equal(test_pg_longf(w.admin,
					       "SELECT count(*) FROM webhook_event WHERE id = '%s'"
					       " AND processed AND processed_at IS NOT NULL"
					       " AND outcome = 'credited' AND attempts = 1"
					       " AND raw_payload->'data'->>'id' = '%s'",
					       d[i].event_id, tx[i]),
				 1);
		assert_int_equal(credits_of(tx[i]), 1);
	}
	assert_int_equal(balance(&c), 4 * 10000);
}

/* Waits until a statement waits for the advisory lock the test holds. */
static void
wait_advisory_waiter(void)
{
	for (long waited = 0; test_pg_long(w.admin, "SELECT count(*) FROM pg_locks WHERE NOT"
						    " granted AND locktype = 'advisory'") < 1;
	     waited += 5) {
		if (waited > WAIT_CAP_MS)
			fail_msg("nothing ever waited for the test's lock");
		pause_ms(5);
	}
}

/* Credits of deliveries handled at the same moment go to the ledger in
 * one PostEntries, each with its fee and its own answer; the same
 * transaction twice in one batch is credited once. The first credit waits
 * (a trigger on ledger_entry takes an advisory lock the test holds) until
 * the others are queued behind it. */
static void
test_credits_of_concurrent_deliveries_are_posted_together(void **state)
{
	club c;
	char *first = new_transaction(), *feed = new_transaction(), *twice = new_transaction();
	char *plain = new_transaction();
	delivery lead, d[4];
	int64_t before = metrics_value(&pay_metric_batched_items, "batch=\"credit\"");
	int processed = 0, duplicate = 0;

	(void)state;
	open_club(&c, "batch-credits");
	test_fake_flw_transaction(first, c.tx_ref, "100.00", "successful");
	test_fake_flw_transaction_fee(feed, c.tx_ref, "100.00", "1.50", "successful");
	test_fake_flw_transaction(twice, c.tx_ref, "40.00", "successful");
	test_fake_flw_transaction(plain, c.tx_ref, "20.00", "successful");
	test_pg_ok(w.admin, "CREATE FUNCTION test_hold_credit() RETURNS trigger LANGUAGE plpgsql"
			    " AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(2026);"
			    " RETURN NEW; END $$");
	test_pg_ok(w.admin, "CREATE TRIGGER test_hold_credit BEFORE INSERT ON ledger_entry"
			    " FOR EACH ROW EXECUTE FUNCTION test_hold_credit()");
	test_pg_ok(w.admin, "SELECT pg_advisory_lock(2026)");

	deliver(&lead, charge_body(first, c.tx_ref, "100.00"), SECRET_HASH);
	wait_advisory_waiter();
	deliver(&d[0], charge_body(feed, c.tx_ref, "100.00"), SECRET_HASH);
	deliver(&d[1], charge_body(twice, c.tx_ref, "40.00"), SECRET_HASH);
	deliver(&d[2], charge_body(twice, c.tx_ref, "40.00"), SECRET_HASH);
	for (long waited = 0; pay_credit_queued() < 3; waited += 5) {
		if (waited > WAIT_CAP_MS)
			fail_msg("3 credits never queued (%zu are)", pay_credit_queued());
		pause_ms(5);
	}
	test_pg_ok(w.admin, "SELECT pg_advisory_unlock(2026)");
	pthread_join(lead.thread, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(d[i].thread, NULL);
	/* And one alone, after: a batch of one is PostEntry as before. */
	deliver(&d[3], charge_body(plain, c.tx_ref, "20.00"), SECRET_HASH);
	pthread_join(d[3].thread, NULL);
	test_pg_ok(w.admin, "DROP TRIGGER test_hold_credit ON ledger_entry");
	test_pg_ok(w.admin, "DROP FUNCTION test_hold_credit()");

	/* The two distinct ones of the batch went in one PostEntries (the
	 * repeated transaction is posted alone, after it). */
	assert_true(metrics_value(&pay_metric_batched_items, "batch=\"credit\"") >= before + 2);
	assert_int_equal(lead.rc, 0);
	assert_string_equal(lead.status, "processed");
	assert_int_equal(d[0].rc, 0);
	assert_string_equal(d[0].status, "processed");
	assert_int_equal(d[3].rc, 0);
	assert_string_equal(d[3].status, "processed");
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(d[i].rc, 0);
		processed += strcmp(d[i].status, "processed") == 0;
		duplicate += strcmp(d[i].status, "duplicate") == 0;
	}
	assert_int_equal(processed, 1);
	assert_int_equal(duplicate, 1);
	assert_int_equal(credits_of(first), 1);
	assert_int_equal(credits_of(feed), 1);
	assert_int_equal(credits_of(twice), 1);
	assert_int_equal(credits_of(plain), 1);
	/* The fee the provider kept: debited once, with its credit. */
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM ledger_entry WHERE reference = 'fee:%s'"
			      " AND type = 'DEBIT' AND amount_kobo = 150",
			      feed),
		1);
	assert_int_equal(balance(&c), 10000 + 10000 - 150 + 4000 + 2000);
	assert_int_equal(
		test_pg_longf(w.admin,
			      "SELECT count(*) FROM webhook_event WHERE outcome = 'credited'"
			      " AND raw_payload->'data'->>'id' IN ('%s', '%s', '%s', '%s')",
			      first, feed, twice, plain),
		4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(
			test_concurrent_deliveries_share_a_commit_and_each_is_answered_its_own,
			check_invariant),
		cmocka_unit_test_teardown(
			test_refused_batch_acknowledges_nothing_and_each_is_stored_alone,
			check_invariant),
		cmocka_unit_test_teardown(
			test_outcomes_of_concurrent_deliveries_are_written_together,
			check_invariant),
		cmocka_unit_test_teardown(test_credits_of_concurrent_deliveries_are_posted_together,
					  check_invariant),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
