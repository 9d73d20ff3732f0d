/* kolo-payments with the Flutterwave provider (DESIGN §8) over real gRPC
 * against a throwaway PostgreSQL, with identity, groups and ledger in the
 * same process and the provider pointed at the fake Flutterwave server
 * (tests/fake_flutterwave/), so the libcurl code runs for real. The worker
 * runs only when a test calls pay_worker_pass(); backoff is skipped by
 * moving its timestamps into the past, never by sleeping. After each test
 * the ledger invariant is checked in SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "money/money.h"
#include "payments_service.h"
#include "provider.h"
#include "test_fake_flw.h"
#include "test_world.h"

#define SUCCESS		KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS
#define FAILED		KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED
#define PENDING		KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_PENDING
#define ACTIVE		KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE
#define ACCOUNT_PENDING KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_PENDING

#define SECRET_HASH "kolo-flw-hash-6b1d0c3e9a"
#define WRONG_HASH  "kolo-flw-hash-6b1d0c3e9b"
/* Short enough that a slow fake times out quickly, long enough for a
 * normal answer from loopback. */
#define PROVIDER_TIMEOUT_MS 500
/* The fake's "slow" answers: well past PROVIDER_TIMEOUT_MS. */
#define SLOW_MODE "slow:2500"

static test_world w;
static int next_transaction = 7100001;

static int
setup(void **state)
{
	pay_flutterwave_config cfg = {.secret_key = TEST_FAKE_FLW_SECRET_KEY,
				      .secret_hash = SECRET_HASH,
				      .timeout_ms = PROVIDER_TIMEOUT_MS};
	pay_provider *p = NULL;

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
	test_world_stop(&w);
	test_fake_flw_stop();
	return 0;
}

/* Every test starts with a well-behaved fake. Its state is not reset
 * (its account numbers would repeat, and they are unique in the database):
 * tests use their own groups, transaction ids and references. */
static int
calm_fake(void **state)
{
	static const char *const endpoints[] = {"*",	  "transfers", "virtual-account-numbers",
						"verify", "resolve",   "banks"};

	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		test_fake_flw_mode(endpoints[i], "ok", 0);
	test_fake_flw_mode("transfers", "new", 0);
	return 0;
}

static int
check_invariant(void **state)
{
	test_pg_payments_invariant(w.admin);
	return 0;
}

/* --- SQL through the admin connection ---------------------------------- */

static char *sql_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long sql_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
sql_vformat(const char *fmt, va_list ap)
{
	static char sql[2048];
	int n = vsnprintf(sql, sizeof(sql), fmt, ap);

	assert_true(n > 0 && (size_t)n < sizeof(sql));
	return sql;
}

/* The first field of the first row ("" when none), in the world's arena. */
static char *
sql_text(const char *fmt, ...)
{
	va_list ap;
	char *v, *out;

	va_start(ap, fmt);
	v = test_pg_value(w.admin, sql_vformat(fmt, ap));
	va_end(ap);
	out = mem_arena_strdup(w.arena, v);
	free(v);
	return out;
}

static long
sql_long(const char *fmt, ...)
{
	va_list ap;
	long v;

	va_start(ap, fmt);
	v = test_pg_long(w.admin, sql_vformat(fmt, ap));
	va_end(ap);
	return v;
}

static void
sql_run(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	test_pg_ok(w.admin, sql_vformat(fmt, ap));
	va_end(ap);
}

/* --- groups, money ------------------------------------------------------- */

typedef struct club {
	test_user owner;
	char group[64];
	char tx_ref[96]; /* va_request.client_ref: what deposits carry */
} club;

#define CLUB_NAME "Ajo Savings Club"

/* A user and their group; creating the group asks payments for its
 * account (through the fake). */
static void
open_club(club *c, const char *tag)
{
	test_identity_user(&w.identity, &c->owner, tag);
	test_world_group(&w, &c->owner, CLUB_NAME, c->group);
	snprintf(c->tx_ref, sizeof(c->tx_ref), "%s",
		 sql_text("SELECT client_ref FROM va_request WHERE group_id = '%s'", c->group));
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

static Kolo__Payments__V1__Account *
get_account(const club *c)
{
	Kolo__Payments__V1__GetAccountRequest req = KOLO__PAYMENTS__V1__GET_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__GetAccountResponse *resp = NULL;

	req.group_id = (char *)c->group;
	assert_int_equal(test_world_call(&w, &w.payments, "GetAccount", &req, &resp, &c->owner), 0);
	assert_non_null(resp->account);
	return resp->account;
}

/* A fresh Flutterwave transaction id (the ledger reference of a deposit). */
static const char *
new_transaction(void)
{
	return mem_arena_printf(w.arena, "%d", next_transaction++);
}

/* A charge.completed delivery as Flutterwave sends it for a bank transfer
 * into a virtual account. */
static const char *
charge_body(const char *transaction, const char *tx_ref, const char *amount)
{
	return mem_arena_printf(
		w.arena,
		"{\"event\":\"charge.completed\",\"data\":{\"id\":%s,\"tx_ref\":\"%s\","
		"\"flw_ref\":\"FLW-MOCK-%s\",\"device_fingerprint\":\"N/A\",\"amount\":%s,"
		"\"currency\":\"NGN\",\"charged_amount\":%s,\"app_fee\":0,\"merchant_fee\":0,"
		"\"processor_response\":\"success\",\"auth_model\":\"AUTH\","
		"\"narration\":\"Bank transfer\",\"status\":\"successful\","
		"\"payment_type\":\"bank_transfer\",\"created_at\":\"2024-06-01T10:00:00.000Z\","
		"\"account_id\":17321,\"customer\":{\"id\":1,\"name\":\"Ada\","
		"\"email\":\"ada@example.com\"}},\"meta_data\":{\"originatorname\":\"ADA\","
		"\"bankname\":\"GTBank\"},\"event.type\":\"BANK_TRANSFER_TRANSACTION\"}",
		transaction, tx_ref, transaction, amount, amount);
}

/* A transfer.completed delivery for our payout id (reference). */
static const char *
transfer_body(const char *transfer_id, const char *reference, const char *status,
	      const char *amount)
{
	return mem_arena_printf(
		w.arena,
		"{\"event\":\"transfer.completed\",\"event.type\":\"Transfer\",\"data\":{"
		"\"id\":%s,\"account_number\":\"0123456789\",\"bank_name\":\"GTBank\","
		"\"bank_code\":\"058\",\"fullname\":\"Ngozi Eze\",\"currency\":\"NGN\","
		"\"debit_currency\":\"NGN\",\"amount\":%s,\"fee\":26.875,\"status\":\"%s\","
		"\"reference\":\"%s\",\"meta\":null,\"narration\":\"Kolo payout\","
		"\"complete_message\":\"%s\",\"requires_approval\":0,\"is_approved\":1}}",
		transfer_id[0] ? transfer_id : "0", amount, status, reference,
		strcmp(status, "SUCCESSFUL") == 0 ? "Transaction was successful"
						  : "DISBURSE FAILED: Insufficient funds");
}

/* HandleWebhook as the gateway calls it (service token); hash NULL sends
 * no verif-hash header at all. */
static int
webhook(const char *body, const char *hash, Kolo__Payments__V1__HandleWebhookResponse **out)
{
	Kolo__Payments__V1__HandleWebhookRequest req =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__Header type = KOLO__PAYMENTS__V1__HEADER__INIT;
	Kolo__Payments__V1__Header sig = KOLO__PAYMENTS__V1__HEADER__INIT;
	Kolo__Payments__V1__Header *headers[] = {&type, &sig};
	Kolo__Payments__V1__HandleWebhookResponse *resp = NULL;
	int rc;

	type.name = "content-type";
	type.value = "application/json";
	sig.name = "verif-hash";
	sig.value = (char *)hash;
	req.provider = "flutterwave";
	req.raw_body.data = (uint8_t *)body;
	req.raw_body.len = strlen(body);
	req.headers = headers;
	req.n_headers = hash ? 2 : 1;
	rc = test_world_call(&w, &w.payments, "HandleWebhook", &req, &resp, NULL);
	if (out)
		*out = resp;
	return rc;
}

/* A verified deposit of naira (e.g. "5000.00") into the club. */
static void
fund(const club *c, const char *naira)
{
	const char *transaction = new_transaction();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	test_fake_flw_transaction(transaction, c->tx_ref, naira, "successful");
	assert_int_equal(webhook(charge_body(transaction, c->tx_ref, naira), SECRET_HASH, &r), 0);
	assert_string_equal(r->status, "processed");
}

/* A withdrawal row for payouts to hang from (the withdrawals service's
 * table; that service is not part of this test). */
static const char *
withdrawal_row(const club *c, int64_t kobo)
{
	return sql_text("INSERT INTO withdrawal_request (group_id, amount_kobo, beneficiary,"
			" status, requested_by) VALUES ('%s', %lld, '{}', 'APPROVED', '%s')"
			" RETURNING id",
			c->group, (long long)kobo, c->owner.id);
}

static int
payout_attempt(const club *c, const char *wid, int64_t kobo, const char *account, int attempt,
	       Kolo__Payments__V1__CreatePayoutResponse **out)
{
	Kolo__Payments__V1__CreatePayoutRequest req =
		KOLO__PAYMENTS__V1__CREATE_PAYOUT_REQUEST__INIT;
	Kolo__Common__V1__Beneficiary b = KOLO__COMMON__V1__BENEFICIARY__INIT;

	b.bank_code = "058";
	b.account_number = (char *)account;
	b.account_name = "Ngozi Eze";
	req.withdrawal_id = (char *)wid;
	req.group_id = (char *)c->group;
	req.amount_kobo = kobo;
	req.beneficiary = &b;
	req.attempt = attempt;
	return test_world_call(&w, &w.payments, "CreatePayout", &req, out, NULL);
}

static int
payout_to(const club *c, const char *wid, int64_t kobo, const char *account,
	  Kolo__Payments__V1__CreatePayoutResponse **out)
{
	return payout_attempt(c, wid, kobo, account, 1, out);
}

/* A second attempt while the first is open or paid is refused, untouched. */
static void
assert_no_second_attempt(const club *c, const char *wid, int64_t kobo, int64_t balance_kobo)
{
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;

	assert_int_equal(payout_attempt(c, wid, kobo, "0123456789", 2, &r),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "payout_in_progress");
	assert_int_equal(sql_long("SELECT count(*) FROM payout WHERE withdrawal_id = '%s'"
				  " AND attempt = 2",
				  wid),
			 0);
	assert_int_equal(balance(c), balance_kobo);
}

static Kolo__Payments__V1__Payout *
payout(const club *c, const char *wid, int64_t kobo)
{
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;

	assert_int_equal(payout_to(c, wid, kobo, "0123456789", &r), 0);
	assert_non_null(r->payout);
	return r->payout;
}

static Kolo__Payments__V1__Payout *
get_payout(const char *payout_id)
{
	Kolo__Payments__V1__GetPayoutRequest req = KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__INIT;
	Kolo__Payments__V1__GetPayoutResponse *resp = NULL;

	req.key_case = KOLO__PAYMENTS__V1__GET_PAYOUT_REQUEST__KEY_PAYOUT_ID;
	req.payout_id = (char *)payout_id;
	assert_int_equal(test_world_call(&w, &w.payments, "GetPayout", &req, &resp, NULL), 0);
	return resp->payout;
}

static const char *
stage_of(const char *payout_id)
{
	return sql_text("SELECT stage FROM payout WHERE id = '%s'", payout_id);
}

/* Entries with this ledger reference (of a type: "CREDIT", "DEBIT"). */
static long
entries(const char *reference, const char *type)
{
	return sql_long("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
			" AND type = '%s'",
			reference, type);
}

/* A debit already posted for a payout, as CreatePayout would have. */
static void
post_payout_debit(const club *c, const char *wid, int64_t kobo)
{
	Kolo__Ledger__V1__PostEntryRequest debit = KOLO__LEDGER__V1__POST_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__PostEntryResponse *posted = NULL;
	char account[64];

	test_world_account(&w, c->group, account);
	debit.group_id = (char *)c->group;
	debit.account_id = account;
	debit.type = KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT;
	debit.amount_kobo = kobo;
	debit.source = "payout";
	debit.reference = mem_arena_printf(w.arena, "payout:%s", wid);
	assert_int_equal(test_world_call(&w, &w.ledger, "PostEntry", &debit, &posted, NULL), 0);
}

/* A payout row left by a process that stopped at stage. */
static const char *
payout_row(const club *c, const char *wid, int64_t kobo, const char *stage)
{
	return sql_text("INSERT INTO payout (withdrawal_id, group_id, amount_kobo, beneficiary,"
			" provider, status, stage) VALUES ('%s', '%s', %lld,"
			" '{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
			"\"account_name\":\"Ngozi Eze\"}', 'flutterwave', 'PENDING', '%s')"
			" RETURNING id",
			wid, c->group, (long long)kobo, stage);
}

/* The worker's next pass finds every unfinished event and recovery due. */
static void
make_retries_due(void)
{
	sql_run("UPDATE webhook_event SET next_attempt_at = now() - interval '1 hour'"
		" WHERE NOT processed");
	sql_run("UPDATE va_recovery SET last_retry_at = now() - interval '1 hour'"
		" WHERE status = 'pending'");
}

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" not found in %s", needle, haystack);
}

/* --- concurrent callers --------------------------------------------------- */

#define RACERS 8

/* One thread calling method `calls` times (as a user, or with the service
 * token when as is NULL), counting the calls that failed. */
typedef struct racer {
	test_service *svc;
	const char *method;
	const ProtobufCMessage *req;
	const test_user *as;
	int calls;
	int failures;
	char reason[64];
} racer;

static void *
racer_run(void *arg)
{
	racer *r = arg;
	mem_arena *arena = mem_arena_new(0);
	test_caller who = {.access_token = r->as ? r->as->access_token : NULL,
			   .internal = r->as == NULL};

	for (int i = 0; i < r->calls; i++) {
		ProtobufCMessage *resp = NULL;

		if (test_call(r->svc, r->method, r->req, &resp, arena, &who) != 0) {
			r->failures++;
			snprintf(r->reason, sizeof(r->reason), "%s", err_last()->reason);
		}
		mem_arena_reset(arena);
	}
	mem_arena_free(arena);
	rpc_client_thread_done();
	return NULL;
}

/* RACERS threads making the same call at once; every call must succeed. */
static void
race(test_service *svc, const char *method, const void *req, const test_user *as, int calls)
{
	pthread_t threads[RACERS];
	racer racers[RACERS];

	for (int i = 0; i < RACERS; i++) {
		racers[i] = (racer){.svc = svc,
				    .method = method,
				    .req = (const ProtobufCMessage *)req,
				    .as = as,
				    .calls = calls};
		assert_int_equal(pthread_create(&threads[i], NULL, racer_run, &racers[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	for (int i = 0; i < RACERS; i++) {
		if (racers[i].failures)
			fail_msg("%s: %d of %d concurrent calls failed (%s)", method,
				 racers[i].failures, calls, racers[i].reason);
	}
}

/* --- virtual accounts ---------------------------------------------------------- */

static void
test_group_creation_provisions_an_account_through_flutterwave(void **state)
{
	club c;
	Kolo__Payments__V1__Account *a;
	const char *number;
	char *sent;

	open_club(&c, "flw-account");
	assert_string_equal(c.tx_ref, mem_arena_printf(w.arena, "kolo-%s", c.group));
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'"
				  " AND status = 'active' AND provider = 'flutterwave'"
				  " AND bank_name = 'WEMA BANK' AND provider_ref LIKE 'URF\\_%%'",
				  c.group),
			 1);
	number = sql_text("SELECT virtual_account_number FROM account WHERE group_id = '%s'",
			  c.group);
	assert_int_equal(strlen(number), 10);
	assert_int_equal(strspn(number, "0123456789"), 10);
	/* The provider's whole reply is kept. */
	assert_int_equal(
		sql_long("SELECT count(*) FROM account_metadata m JOIN account a"
			 " ON a.id = m.account_id WHERE a.group_id = '%s'"
			 " AND m.provider = 'flutterwave'"
			 " AND m.raw_payload->>'status' = 'success'"
			 " AND m.raw_payload->'data'->>'account_number' = a.virtual_account_number"
			 " AND m.raw_payload->'data'->>'order_ref' = a.provider_ref"
			 " AND m.raw_payload->'data'->>'response_code' = '02'",
			 c.group),
		1);
	assert_int_equal(sql_long("SELECT count(*) FROM va_request WHERE group_id = '%s'"
				  " AND status = 'success' AND provider = 'flutterwave'",
				  c.group),
			 1);
	assert_int_equal(
		sql_long("SELECT count(*) FROM va_recovery WHERE group_id = '%s'", c.group), 0);
	/* The fake saw our tx_ref and the group's name, once. */
	assert_int_equal(test_fake_flw_accounts_created(c.tx_ref), 1);
	sent = test_fake_flw_last_body("/v3/virtual-account-numbers");
	assert_contains(sent, mem_arena_printf(w.arena, "\"tx_ref\":\"%s\"", c.tx_ref));
	assert_contains(sent, "\"narration\":\"" CLUB_NAME "\"");
	assert_contains(sent, "\"is_permanent\":true");
	free(sent);

	a = get_account(&c);
	assert_int_equal(a->status, ACTIVE);
	assert_string_equal(a->virtual_account_number, number);
	assert_string_equal(a->bank_name, "WEMA BANK");
	assert_string_equal(a->provider, "flutterwave");
	assert_string_equal(a->tx_ref, c.tx_ref);
	/* Asking again asks the provider nothing. */
	a = get_account(&c);
	assert_string_equal(a->virtual_account_number, number);
	assert_int_equal(test_fake_flw_accounts_created(c.tx_ref), 1);
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'", c.group),
			 1);
}

static void
test_provider_failure_is_recovered_by_the_worker_with_one_account(void **state)
{
	club c;
	Kolo__Payments__V1__Account *a;
	char *body;

	test_fake_flw_mode("virtual-account-numbers", "fail500", 0);
	open_club(&c, "flw-recover");
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'", c.group),
			 0);
	/* The failure is recorded for the worker. */
	assert_int_equal(sql_long("SELECT count(*) FROM va_request WHERE group_id = '%s'"
				  " AND status = 'failed' AND last_error <> ''",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM va_recovery WHERE group_id = '%s'"
				  " AND status = 'pending' AND tx_ref = 'kolo-%s'"
				  " AND provider = 'flutterwave'",
				  c.group, c.group),
			 1);
	assert_string_equal(c.tx_ref, mem_arena_printf(w.arena, "kolo-%s", c.group));

	/* GetAccount tries again, fails again: pending, still one recovery. */
	a = get_account(&c);
	assert_int_equal(a->status, ACCOUNT_PENDING);
	assert_string_equal(a->virtual_account_number, "");
	assert_int_equal(
		sql_long("SELECT count(*) FROM va_recovery WHERE group_id = '%s'", c.group), 1);
	assert_int_equal(test_fake_flw_accounts_created(c.tx_ref), 0);

	/* The worker's try while the provider is still down is counted. */
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT retry_count FROM va_recovery WHERE group_id = '%s'"
				  " AND status = 'pending'",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'", c.group),
			 0);

	/* The provider recovers: the worker's next due try provisions. */
	test_fake_flw_mode("virtual-account-numbers", "ok", 0);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'"
				  " AND status = 'active' AND provider = 'flutterwave'",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM account_metadata m JOIN account a"
				  " ON a.id = m.account_id WHERE a.group_id = '%s'",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM va_recovery WHERE group_id = '%s'"
				  " AND status = 'done'",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM va_recovery WHERE group_id = '%s'"
				  " AND status = 'pending'",
				  c.group),
			 0);
	assert_int_equal(sql_long("SELECT count(*) FROM va_request WHERE group_id = '%s'"
				  " AND status = 'success'",
				  c.group),
			 1);
	assert_int_equal(test_fake_flw_accounts_created(c.tx_ref), 1);
	/* The retry names the account after the group, as the first try did. */
	body = test_fake_flw_last_body("/v3/virtual-account-numbers");
	assert_non_null(body);
	assert_non_null(strstr(body, "\"narration\":\"" CLUB_NAME "\""));
	free(body);

	/* More passes and reads make nothing new. */
	make_retries_due();
	pay_worker_pass();
	a = get_account(&c);
	assert_int_equal(a->status, ACTIVE);
	assert_string_equal(a->tx_ref, c.tx_ref);
	assert_string_equal(a->virtual_account_number,
			    sql_text("SELECT virtual_account_number FROM account"
				     " WHERE group_id = '%s'",
				     c.group));
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'", c.group),
			 1);
	assert_int_equal(test_fake_flw_accounts_created(c.tx_ref), 1);
}

/* Requests for the account of a group that has none, all at once: one
 * account, one virtual account at the provider. */
static void
test_concurrent_account_requests_make_one_account(void **state)
{
	club c;
	Kolo__Payments__V1__GetAccountRequest req = KOLO__PAYMENTS__V1__GET_ACCOUNT_REQUEST__INIT;
	const char *tx_ref;

	test_fake_flw_mode("virtual-account-numbers", "fail500", 0);
	open_club(&c, "flw-race-account");
	tx_ref = mem_arena_printf(w.arena, "kolo-%s", c.group);
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'", c.group),
			 0);
	test_fake_flw_mode("virtual-account-numbers", "ok", 0);
	req.group_id = c.group;
	race(&w.payments, "GetAccount", &req, &c.owner, 3);
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'"
				  " AND status = 'active'",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM account_metadata m JOIN account a"
				  " ON a.id = m.account_id WHERE a.group_id = '%s'",
				  c.group),
			 1);
	assert_int_equal(test_fake_flw_accounts_created(tx_ref), 1);
	assert_int_equal(get_account(&c)->status, ACTIVE);
}

/* --- deposit webhooks ------------------------------------------------------------ */

static void
test_badly_signed_webhook_is_stored_unprocessed_and_refused(void **state)
{
	club c;
	const char *transaction = new_transaction();
	const char *body;

	open_club(&c, "flw-unsigned");
	test_fake_flw_transaction(transaction, c.tx_ref, "1500.75", "successful");
	body = charge_body(transaction, c.tx_ref, "1500.75");
	assert_int_equal(webhook(body, WRONG_HASH, NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "bad_signature");
	assert_int_equal(webhook(body, NULL, NULL), ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "bad_signature");
	assert_int_equal(webhook(body, "", NULL), ERR_UNAUTHENTICATED);
	/* Kept as headers, length, hash and the first 256 bytes, not the body. */
	assert_int_equal(
		sql_long("SELECT count(*) FROM webhook_event"
			 " WHERE raw_payload->>'prefix' LIKE '%%\"id\":%s,%%'"
			 " AND raw_payload->'data' IS NULL AND body_bytes = %zu"
			 " AND body_sha256 = encode(sha256(convert_to($b$%s$b$, 'UTF8')), 'hex')"
			 " AND event_type = 'charge.completed' AND provider = 'flutterwave'"
			 " AND NOT signature_valid AND NOT processed AND processed_at IS NULL",
			 transaction, strlen(body), body),
		3);
	/* The worker leaves unsigned events alone. */
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(
		sql_long("SELECT count(*) FROM webhook_event"
			 " WHERE raw_payload->>'prefix' LIKE '%%\"id\":%s,%%' AND processed",
			 transaction),
		0);
	assert_int_equal(entries(transaction, "CREDIT"), 0);
	assert_int_equal(balance(&c), 0);
	/* Nobody asked the provider about it. */
	assert_int_equal(test_fake_flw_requests(mem_arena_printf(
				 w.arena, "/v3/transactions/%s/verify", transaction)),
			 0);
}

static void
test_verified_deposit_is_credited_in_exact_kobo(void **state)
{
	club c;
	const char *transaction = new_transaction();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	open_club(&c, "flw-deposit");
	test_fake_flw_transaction(transaction, c.tx_ref, "1500.75", "successful");
	assert_int_equal(webhook(charge_body(transaction, c.tx_ref, "1500.75"), SECRET_HASH, &r),
			 0);
	assert_true(r->processed);
	assert_string_equal(r->status, "processed");
	assert_int_equal(sql_long("SELECT count(*) FROM ledger_entry e JOIN account a"
				  " ON a.id = e.account_id AND a.group_id = e.group_id"
				  " WHERE e.reference = '%s' AND e.group_id = '%s'"
				  " AND e.type = 'CREDIT' AND e.amount_kobo = 150075"
				  " AND e.source = 'provider_sandbox' AND NOT e.simulated",
				  transaction, c.group),
			 1);
	assert_int_equal(balance(&c), 150075);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND processed_at IS NOT NULL AND signature_valid"
				  " AND outcome = 'credited' AND event_type = 'charge.completed'",
				  r->event_id),
			 1);
	/* Re-verified with the provider before crediting. */
	assert_int_equal(test_fake_flw_requests(mem_arena_printf(
				 w.arena, "/v3/transactions/%s/verify", transaction)),
			 1);
}

/* The provider's rows of a deposit in the club's ledger: the CREDIT of
 * the gross amount, and the fee DEBIT (reference fee:<transaction>). */
static long
deposit_rows(const club *c, const char *reference, const char *type, int64_t kobo)
{
	return sql_long("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
			" AND group_id = '%s' AND type = '%s' AND amount_kobo = %lld"
			" AND source = 'provider_sandbox' AND NOT simulated",
			reference, c->group, type, (long long)kobo);
}

static long
group_entries(const club *c)
{
	return sql_long("SELECT count(*) FROM ledger_entry WHERE group_id = '%s'", c->group);
}

/* Issue 15 item 8: Flutterwave kept its fee (app_fee; the merchant bears
 * it, KOLO_FEE_BEARER's default): the gross CREDIT and a fee DEBIT in one
 * ledger transaction, so the balance is what Flutterwave holds; a second
 * delivery adds nothing; a fee not below the amount credits nothing. */
static void
test_deposit_fee_kept_by_flutterwave_is_debited_with_the_credit(void **state)
{
	club c;
	const char *transaction = new_transaction(), *whole_fee = new_transaction();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	open_club(&c, "flw-fee");
	test_fake_flw_transaction_fee(transaction, c.tx_ref, "5000.00", "70.50", "successful");
	assert_int_equal(webhook(charge_body(transaction, c.tx_ref, "5000.00"), SECRET_HASH, &r),
			 0);
	assert_string_equal(r->status, "processed");
	assert_int_equal(deposit_rows(&c, transaction, "CREDIT", 500000), 1);
	assert_int_equal(
		deposit_rows(&c, mem_arena_printf(w.arena, "fee:%s", transaction), "DEBIT", 7050),
		1);
	assert_int_equal(group_entries(&c), 2);
	assert_int_equal(balance(&c), 492950);
	assert_int_equal(webhook(charge_body(transaction, c.tx_ref, "5000.00"), SECRET_HASH, &r),
			 0);
	assert_string_equal(r->status, "duplicate");
	assert_int_equal(group_entries(&c), 2);
	assert_int_equal(balance(&c), 492950);
	/* All of it kept: nothing arrived, nothing is credited, not retried. */
	test_fake_flw_transaction_fee(whole_fee, c.tx_ref, "10.00", "10.00", "successful");
	assert_int_equal(webhook(charge_body(whole_fee, c.tx_ref, "10.00"), SECRET_HASH, &r), 0);
	assert_string_equal(r->status, "ignored");
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND outcome = 'fee_not_below_amount'",
				  r->event_id),
			 1);
	assert_int_equal(group_entries(&c), 2);
	assert_int_equal(balance(&c), 492950);
}

/* KOLO_FEE_BEARER=customer: the fee came on top of the amount, so the
 * amount is what arrived and no fee is debited. */
static void
test_deposit_fee_paid_by_the_customer_is_not_debited(void **state)
{
	club c;
	const char *transaction = new_transaction();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;
	pay_deps deps = *pay_current();
	int rc;

	open_club(&c, "flw-fee-customer");
	test_fake_flw_transaction_fee(transaction, c.tx_ref, "5000.00", "70.50", "successful");
	deps.customer_bears_fee = 1;
	pay_configure(&deps);
	rc = webhook(charge_body(transaction, c.tx_ref, "5000.00"), SECRET_HASH, &r);
	deps.customer_bears_fee = 0;
	pay_configure(&deps);
	assert_int_equal(rc, 0);
	assert_string_equal(r->status, "processed");
	assert_int_equal(deposit_rows(&c, transaction, "CREDIT", 500000), 1);
	assert_int_equal(group_entries(&c), 1);
	assert_int_equal(balance(&c), 500000);
}

static void
test_delivery_repeated_a_hundred_times_credits_once(void **state)
{
	club c;
	const char *transaction = new_transaction();
	const char *body;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	open_club(&c, "flw-repeat");
	test_fake_flw_transaction(transaction, c.tx_ref, "250.50", "successful");
	body = charge_body(transaction, c.tx_ref, "250.50");
	assert_int_equal(webhook(body, SECRET_HASH, &r), 0);
	assert_string_equal(r->status, "processed");
	for (int i = 0; i < 100; i++) {
		assert_int_equal(webhook(body, SECRET_HASH, &r), 0);
		assert_true(r->processed);
		assert_string_equal(r->status, "duplicate");
	}
	assert_int_equal(entries(transaction, "CREDIT"), 1);
	assert_int_equal(balance(&c), 25050);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event"
				  " WHERE raw_payload->'data'->>'id' = '%s'",
				  transaction),
			 101);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event"
				  " WHERE raw_payload->'data'->>'id' = '%s' AND processed"
				  " AND processed_at IS NOT NULL AND signature_valid",
				  transaction),
			 101);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event"
				  " WHERE raw_payload->'data'->>'id' = '%s'"
				  " AND outcome = 'duplicate'",
				  transaction),
			 100);
}

/* A signed delivery the provider's verification contradicts: stored,
 * processed with the outcome, never credited. */
static void
expect_uncredited(const club *c, const char *transaction, const char *claimed, const char *outcome)
{
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	assert_int_equal(webhook(charge_body(transaction, c->tx_ref, claimed), SECRET_HASH, &r), 0);
	assert_true(r->processed);
	assert_string_equal(r->status, "ignored");
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND processed_at IS NOT NULL AND outcome = '%s'",
				  r->event_id, outcome),
			 1);
	assert_int_equal(entries(transaction, "CREDIT"), 0);
}

static void
test_deposit_the_provider_does_not_confirm_is_not_credited(void **state)
{
	club c;
	const char *t1 = new_transaction(), *t2 = new_transaction(), *t3 = new_transaction();
	const char *t4 = new_transaction(), *t5 = new_transaction(), *t6 = new_transaction();

	open_club(&c, "flw-mismatch");
	/* The provider answers another amount than the webhook's. */
	test_fake_flw_transaction(t1, c.tx_ref, "1500.75", "successful");
	test_fake_flw_mode("verify", "mismatch_amount", 1);
	expect_uncredited(&c, t1, "1500.75", "verification_mismatch");
	/* The webhook claims more than the provider registered. */
	test_fake_flw_transaction(t2, c.tx_ref, "1000.00", "successful");
	expect_uncredited(&c, t2, "1500.75", "verification_mismatch");
	/* The transaction belongs to another tx_ref. */
	test_fake_flw_transaction(t3, "kolo-00000000-0000-0000-0000-000000000000", "1500.75",
				  "successful");
	expect_uncredited(&c, t3, "1500.75", "verification_mismatch");
	/* The transaction did not succeed. */
	test_fake_flw_transaction(t4, c.tx_ref, "1500.75", "failed");
	expect_uncredited(&c, t4, "1500.75", "verification_mismatch");
	/* The provider never heard of it. */
	expect_uncredited(&c, t5, "1500.75", "verification_failed");
	/* More than one entry may move (₦250 m): kept for a person. */
	test_fake_flw_transaction(t6, c.tx_ref, "250000000.01", "successful");
	expect_uncredited(&c, t6, "250000000.01", "amount_over_limit");

	/* Settled for good: the worker does not pick them up again. */
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(
		sql_long("SELECT count(*) FROM ledger_entry WHERE group_id = '%s'", c.group), 0);
	assert_int_equal(balance(&c), 0);
}

static void
test_deposit_queued_while_the_provider_fails_is_credited_once_later(void **state)
{
	club c;
	const char *transaction = new_transaction();
	const char *body;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;
	char event[64];

	open_club(&c, "flw-queued");
	test_fake_flw_transaction(transaction, c.tx_ref, "2000.50", "successful");
	test_fake_flw_mode("verify", "fail500", 0);
	body = charge_body(transaction, c.tx_ref, "2000.50");
	/* Stored and acknowledged: the provider must not be told to retry. */
	assert_int_equal(webhook(body, SECRET_HASH, &r), 0);
	assert_false(r->processed);
	assert_string_equal(r->status, "queued");
	snprintf(event, sizeof(event), "%s", r->event_id);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND NOT processed AND processed_at IS NULL AND signature_valid"
				  " AND attempts = 1 AND next_attempt_at > now()",
				  event),
			 1);
	assert_int_equal(entries(transaction, "CREDIT"), 0);

	/* The worker's try while the provider still fails: still queued. */
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND NOT processed AND attempts = 2",
				  event),
			 1);
	assert_int_equal(entries(transaction, "CREDIT"), 0);

	/* Our key refused (rotated, misconfigured): still queued, not settled. */
	test_fake_flw_mode("verify", "unauthorized", 0);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND NOT processed AND attempts = 3",
				  event),
			 1);
	assert_int_equal(entries(transaction, "CREDIT"), 0);

	/* The provider recovers: the next due pass credits it, once. */
	test_fake_flw_mode("verify", "ok", 0);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND processed_at IS NOT NULL"
				  " AND outcome = 'credited'",
				  event),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
				  " AND type = 'CREDIT' AND amount_kobo = 200050"
				  " AND source = 'provider_sandbox' AND group_id = '%s'",
				  transaction, c.group),
			 1);
	assert_int_equal(balance(&c), 200050);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(webhook(body, SECRET_HASH, &r), 0);
	assert_string_equal(r->status, "duplicate");
	assert_int_equal(entries(transaction, "CREDIT"), 1);
	assert_int_equal(balance(&c), 200050);
}

/* Reads reuse their connection to the provider (no new TCP or TLS
 * handshake per deposit or account resolution); creates (POST of a
 * transfer or an account) always go alone on a fresh one, so libcurl can
 * never re-send one on another connection. */
static void
test_provider_connections_are_reused_for_reads_only(void **state)
{
	club c;
	const char *transaction;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;
	json_int_t conns;

	open_club(&c, "flw-keepalive");
	conns = test_fake_flw_counter("connections");
	for (int i = 0; i < 20; i++) {
		transaction = new_transaction();
		test_fake_flw_transaction(transaction, c.tx_ref, "10.00", "successful");
		assert_int_equal(
			webhook(charge_body(transaction, c.tx_ref, "10.00"), SECRET_HASH, &r), 0);
		assert_string_equal(r->status, "processed");
	}
	assert_int_equal(balance(&c), 20 * 1000);
	for (int i = 0; i < 5; i++) {
		Kolo__Payments__V1__ResolveBankAccountRequest res =
			KOLO__PAYMENTS__V1__RESOLVE_BANK_ACCOUNT_REQUEST__INIT;
		Kolo__Payments__V1__ResolveBankAccountResponse *resolved = NULL;

		res.bank_code = "058";
		res.account_number = "0123456789";
		assert_int_equal(test_world_call(&w, &w.payments, "ResolveBankAccount", &res,
						 &resolved, NULL),
				 0);
		assert_true(resolved->account_name[0]);
	}
	/* 20 verifications and 5 resolutions (and whatever the worker polled
	 * meanwhile) on a few connections, not one each. */
	assert_in_range(test_fake_flw_counter("connections") - conns, 0, 3);
	fund(&c, "5000.00");
	test_fake_flw_mode("transfers", "succeed_immediately", 2);
	assert_int_equal(payout(&c, withdrawal_row(&c, 1000), 1000)->status, SUCCESS);
	assert_int_equal(payout(&c, withdrawal_row(&c, 2000), 2000)->status, SUCCESS);
	assert_int_equal(test_fake_flw_counter("create_shared"), 0);
}

/* The provider may deliver one event several times at once. */
static void
test_concurrent_deliveries_of_one_deposit_credit_once(void **state)
{
	club c;
	const char *transaction = new_transaction();
	const char *body;
	Kolo__Payments__V1__HandleWebhookRequest req =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__Header sig = KOLO__PAYMENTS__V1__HEADER__INIT;
	Kolo__Payments__V1__Header *headers[] = {&sig};

	open_club(&c, "flw-race-deposit");
	test_fake_flw_transaction(transaction, c.tx_ref, "321.09", "successful");
	body = charge_body(transaction, c.tx_ref, "321.09");
	sig.name = "verif-hash";
	sig.value = SECRET_HASH;
	req.provider = "flutterwave";
	req.raw_body.data = (uint8_t *)body;
	req.raw_body.len = strlen(body);
	req.headers = headers;
	req.n_headers = 1;
	race(&w.payments, "HandleWebhook", &req, NULL, 5);
	/* Whatever lost a race was queued; the worker finishes those. */
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(entries(transaction, "CREDIT"), 1);
	assert_int_equal(balance(&c), 32109);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event"
				  " WHERE raw_payload->'data'->>'id' = '%s'",
				  transaction),
			 RACERS * 5);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event"
				  " WHERE raw_payload->'data'->>'id' = '%s' AND processed",
				  transaction),
			 RACERS * 5);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event"
				  " WHERE raw_payload->'data'->>'id' = '%s'"
				  " AND outcome = 'credited'",
				  transaction),
			 1);
}

/* Signed deliveries that are not a deposit: stored, acknowledged, never
 * credited. */
static void
test_signed_events_that_are_not_deposits_are_stored_and_acknowledged(void **state)
{
	club c;
	const char *card = new_transaction();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;
	const char *body;

	open_club(&c, "flw-other-events");
	assert_int_equal(webhook("{\"event\":\"subscription.cancelled\",\"data\":{\"id\":42}}",
				 SECRET_HASH, &r),
			 0);
	assert_true(r->processed);
	assert_string_equal(r->status, "ignored");
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND event_type = 'subscription.cancelled'"
				  " AND outcome = 'ignored'",
				  r->event_id),
			 1);

	/* A card payment into the merchant is not a deposit to a group. */
	test_fake_flw_transaction(card, c.tx_ref, "100.00", "successful");
	body = mem_arena_printf(w.arena,
				"{\"event\":\"charge.completed\",\"data\":{\"id\":%s,"
				"\"tx_ref\":\"%s\",\"amount\":100,\"currency\":\"NGN\","
				"\"status\":\"successful\",\"payment_type\":\"card\"}}",
				card, c.tx_ref);
	assert_int_equal(webhook(body, SECRET_HASH, &r), 0);
	assert_true(r->processed);
	assert_string_equal(r->status, "ignored");
	assert_int_equal(entries(card, "CREDIT"), 0);

	/* Not even JSON: kept as a JSON string. */
	assert_int_equal(webhook("not json at all", SECRET_HASH, &r), 0);
	assert_true(r->processed);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND jsonb_typeof(raw_payload) = 'string'"
				  " AND raw_payload #>> '{}' = 'not json at all'",
				  r->event_id),
			 1);
	assert_int_equal(balance(&c), 0);
}

/* --- payouts ------------------------------------------------------------------------ */

static void
test_payout_succeeds_when_flutterwave_pays_at_once(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__Payout *p;
	Kolo__Payments__V1__CreatePayoutResponse *again = NULL;
	char *sent;

	open_club(&c, "flw-payout");
	fund(&c, "5000.00");
	wid = withdrawal_row(&c, 123456);
	test_fake_flw_mode("transfers", "succeed_immediately", 1);
	p = payout(&c, wid, 123456);
	assert_int_equal(p->status, SUCCESS);
	assert_string_equal(p->provider, "flutterwave");
	assert_true(p->executed_at[0]);
	assert_true(p->provider_reference[0]);
	assert_string_equal(stage_of(p->id), "settled");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	/* Our payout id is the provider's reference; the amount exact naira. */
	sent = test_fake_flw_last_body("/v3/transfers");
	assert_contains(sent, "\"amount\":1234.56");
	assert_contains(sent, mem_arena_printf(w.arena, "\"reference\":\"%s\"", p->id));
	assert_contains(sent, "\"account_number\":\"0123456789\"");
	assert_contains(sent, "\"account_bank\":\"058\"");
	free(sent);
	assert_int_equal(sql_long("SELECT count(*) FROM ledger_entry WHERE reference = 'payout:%s'"
				  " AND type = 'DEBIT' AND amount_kobo = 123456"
				  " AND source = 'payout' AND NOT simulated",
				  wid),
			 1);
	assert_int_equal(balance(&c), 500000 - 123456);

	/* The withdrawal service asking again is a replay. */
	assert_int_equal(payout_to(&c, wid, 123456, "0123456789", &again), 0);
	assert_true(again->replayed);
	assert_string_equal(again->payout->id, p->id);
	assert_int_equal(again->payout->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(balance(&c), 500000 - 123456);
}

static void
test_failed_transfer_is_reversed_and_recorded(void **state)
{
	club c;
	const char *wid, *refused_wid;
	Kolo__Payments__V1__Payout *p;
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;

	open_club(&c, "flw-payout-fail");
	fund(&c, "1000.00");
	wid = withdrawal_row(&c, 30000);
	test_fake_flw_mode("transfers", "fail_immediately", 1);
	p = payout(&c, wid, 30000);
	assert_int_equal(p->status, FAILED);
	assert_contains(p->failure_reason, "DISBURSE FAILED");
	assert_string_equal(stage_of(p->id), "reversed");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(
		sql_long("SELECT count(*) FROM ledger_entry WHERE reference = 'reversal:%s'"
			 " AND type = 'CREDIT' AND amount_kobo = 30000"
			 " AND source = 'payout'",
			 wid),
		1);
	assert_int_equal(sql_long("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'"
				  " AND attempted_payload->>'payout_id' = '%s'"
				  " AND error_message <> ''",
				  wid, p->id),
			 1);
	assert_int_equal(balance(&c), 100000);
	/* Nothing more happens to it. */
	pay_worker_pass();
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 1);
	assert_int_equal(
		sql_long("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'", wid),
		1);
	assert_int_equal(get_payout(p->id)->status, FAILED);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);

	/* A transfer the provider refuses outright (400) fails the same way. */
	refused_wid = withdrawal_row(&c, 20000);
	assert_int_equal(payout_to(&c, refused_wid, 20000, "0000000000", &r), 0);
	assert_int_equal(r->payout->status, FAILED);
	assert_string_equal(stage_of(r->payout->id), "reversed");
	assert_int_equal(test_fake_flw_transfers_created(r->payout->id), 0);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", refused_wid), "CREDIT"),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'",
				  refused_wid),
			 1);
	assert_int_equal(balance(&c), 100000);
}

static void
test_transfer_timeout_is_settled_by_polling(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__Payout *p, *got;

	open_club(&c, "flw-payout-slow");
	fund(&c, "800.00");
	wid = withdrawal_row(&c, 50000);
	/* The fake makes the transfer, then answers long after our timeout. */
	test_fake_flw_mode("transfers", SLOW_MODE, 1);
	p = payout(&c, wid, 50000);
	assert_int_equal(p->status, PENDING);
	assert_string_equal(stage_of(p->id), "sent");
	assert_int_equal(balance(&c), 30000);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);

	/* Still pending at the provider: the worker only asks. */
	pay_worker_pass();
	pay_worker_pass();
	assert_int_equal(get_payout(p->id)->status, PENDING);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_no_second_attempt(&c, wid, 50000, 30000);

	test_fake_flw_transfer_status(p->id, "SUCCESSFUL");
	pay_worker_pass();
	got = get_payout(p->id);
	assert_int_equal(got->status, SUCCESS);
	assert_true(got->executed_at[0]);
	assert_true(got->provider_reference[0]);
	assert_string_equal(stage_of(p->id), "settled");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_no_second_attempt(&c, wid, 50000, 30000);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 0);
	assert_int_equal(balance(&c), 30000);
}

/* A crash right after the payout row (no debit yet) and one right after
 * the debit (no transfer yet): the worker finishes each, one debit and
 * one transfer apiece. */
static void
test_restart_between_debit_and_transfer_sends_one_transfer(void **state)
{
	club c;
	const char *created_wid, *debited_wid, *created_id, *debited_id;

	open_club(&c, "flw-restart");
	fund(&c, "1000.00");
	created_wid = withdrawal_row(&c, 10000);
	created_id = payout_row(&c, created_wid, 10000, "created");
	debited_wid = withdrawal_row(&c, 40000);
	post_payout_debit(&c, debited_wid, 40000);
	debited_id = payout_row(&c, debited_wid, 40000, "debited");
	assert_int_equal(balance(&c), 60000);

	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(debited_id), 1);
	assert_int_equal(test_fake_flw_transfers_created(created_id), 1);
	assert_string_equal(stage_of(debited_id), "sent");
	assert_string_equal(stage_of(created_id), "sent");
	assert_int_equal(balance(&c), 50000);

	/* Passes while the transfers are pending send nothing more. */
	pay_worker_pass();
	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(debited_id), 1);
	assert_int_equal(test_fake_flw_transfers_created(created_id), 1);

	test_fake_flw_transfer_status(debited_id, "SUCCESSFUL");
	test_fake_flw_transfer_status(created_id, "SUCCESSFUL");
	pay_worker_pass();
	assert_int_equal(get_payout(debited_id)->status, SUCCESS);
	assert_int_equal(get_payout(created_id)->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(debited_id), 1);
	assert_int_equal(test_fake_flw_transfers_created(created_id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", debited_wid), "DEBIT"), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", created_wid), "DEBIT"), 1);
	assert_int_equal(balance(&c), 50000);
}

/* A crash after the provider accepted the transfer but before the payout
 * recorded it: the worker sends it again with the same reference, and the
 * provider (refusing the known reference, as the live API may) still has
 * one transfer. */
static void
test_restart_after_an_unrecorded_transfer_sends_no_second_one(void **state)
{
	club c;
	const char *wid, *id;
	pay_transfer_request req = {.amount_kobo = 40000,
				    .bank_code = "058",
				    .account_number = "0123456789",
				    .account_name = "Ngozi Eze",
				    .narration = "Kolo payout"};
	pay_transfer_result out;

	open_club(&c, "flw-unrecorded");
	fund(&c, "1000.00");
	wid = withdrawal_row(&c, 40000);
	post_payout_debit(&c, wid, 40000);
	id = payout_row(&c, wid, 40000, "debited");
	req.reference = id;
	assert_int_equal(w.provider->ops->create_transfer(w.provider, &req, &out), 0);
	pay_free_raw(&out.raw_json);
	assert_int_equal(test_fake_flw_transfers_created(id), 1);

	test_fake_flw_mode("transfers", "duplicate_error", 1);
	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(id), 1);
	assert_int_equal(get_payout(id)->status, PENDING);
	assert_string_equal(stage_of(id), "sent");

	test_fake_flw_transfer_status(id, "SUCCESSFUL");
	pay_worker_pass();
	assert_int_equal(get_payout(id)->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 0);
	assert_int_equal(balance(&c), 60000);
}

static void
test_transfer_created_then_500_is_never_sent_twice(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__Payout *p, *got;

	open_club(&c, "flw-payout-500");
	fund(&c, "700.00");
	wid = withdrawal_row(&c, 25000);
	test_fake_flw_mode("transfers", "created_fail500", 1);
	p = payout(&c, wid, 25000);
	assert_int_equal(p->status, PENDING);
	assert_string_equal(stage_of(p->id), "sent");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(balance(&c), 45000);

	for (int i = 0; i < 4; i++)
		pay_worker_pass();
	assert_int_equal(get_payout(p->id)->status, PENDING);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);

	test_fake_flw_transfer_status(p->id, "SUCCESSFUL");
	pay_worker_pass();
	got = get_payout(p->id);
	assert_int_equal(got->status, SUCCESS);
	assert_true(got->provider_reference[0]);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 0);
	assert_int_equal(balance(&c), 45000);
}

static void
test_unfunded_payout_sends_no_transfer(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__Payout *p;

	open_club(&c, "flw-unfunded");
	fund(&c, "10.00");
	wid = withdrawal_row(&c, 5000);
	p = payout(&c, wid, 5000);
	assert_int_equal(p->status, FAILED);
	assert_string_equal(p->failure_reason, "insufficient_funds");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 0);
	assert_int_equal(
		sql_long("SELECT count(*) FROM ledger_entry WHERE reference LIKE '%%:%s'", wid), 0);
	assert_int_equal(balance(&c), 1000);
}

/* A transfer request that never reached the provider (500 before it did
 * anything) is asked about, and sent again (same reference) only once
 * the provider still does not know it five minutes later. */
static void
test_transfer_the_provider_never_got_is_sent_again_after_five_minutes(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__Payout *p;

	open_club(&c, "flw-resend");
	fund(&c, "500.00");
	wid = withdrawal_row(&c, 20000);
	test_fake_flw_mode("transfers", "fail500", 1);
	p = payout(&c, wid, 20000);
	assert_int_equal(p->status, PENDING);
	assert_string_equal(stage_of(p->id), "sent");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 0);
	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(p->id), 0);
	assert_string_equal(stage_of(p->id), "sent");

	sql_run("UPDATE payout SET updated_at = now() - interval '6 minutes' WHERE id = '%s'",
		p->id);
	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	test_fake_flw_transfer_status(p->id, "SUCCESSFUL");
	pay_worker_pass();
	assert_int_equal(get_payout(p->id)->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(balance(&c), 30000);
}

/* The withdrawal service retrying CreatePayout while the first call is
 * still running: one payout, one debit, one transfer. */
/* Simulated money (an account the demo provider made) never leaves
 * through the real provider. */
static void
test_demo_account_is_not_paid_out_for_real(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;

	open_club(&c, "flw-demo-money");
	fund(&c, "500.00");
	assert_int_equal(sql_long("WITH u AS (UPDATE account SET provider = 'demo'"
				  " WHERE group_id = '%s' RETURNING 1) SELECT count(*) FROM u",
				  c.group),
			 1);
	wid = withdrawal_row(&c, 10000);
	/* The attempt is on record, failed before any debit: the withdrawal
	 * learns it for good instead of asking again for ever. */
	assert_int_equal(payout_to(&c, wid, 10000, "0123456789", &r), 0);
	assert_int_equal(r->payout->status, FAILED);
	assert_true(r->payout->finished);
	assert_string_equal(r->payout->failure_reason, "provider_mismatch");
	assert_int_equal(sql_long("SELECT count(*) FROM payout WHERE withdrawal_id = '%s'"
				  " AND stage = 'settled' AND status = 'FAILED'",
				  wid),
			 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 0);
	assert_int_equal(test_fake_flw_transfers_created(r->payout->id), 0);
	assert_int_equal(balance(&c), 50000);
}

static void
test_concurrent_payout_requests_send_one_transfer(void **state)
{
	club c;
	const char *wid, *id;
	json_int_t sends;
	Kolo__Payments__V1__CreatePayoutRequest req =
		KOLO__PAYMENTS__V1__CREATE_PAYOUT_REQUEST__INIT;
	Kolo__Common__V1__Beneficiary b = KOLO__COMMON__V1__BENEFICIARY__INIT;

	open_club(&c, "flw-race-payout");
	fund(&c, "900.00");
	wid = withdrawal_row(&c, 40000);
	b.bank_code = "058";
	b.account_number = "0123456789";
	b.account_name = "Ngozi Eze";
	req.withdrawal_id = (char *)wid;
	req.group_id = c.group;
	req.amount_kobo = 40000;
	req.beneficiary = &b;
	req.attempt = 1;
	/* A slow provider keeps every racer's send in flight together. */
	sends = test_fake_flw_requests("POST /v3/transfers");
	test_fake_flw_mode("transfers", "slow:300", 0);
	race(&w.payments, "CreatePayout", &req, NULL, 1);
	test_fake_flw_mode("transfers", "ok", 0);
	assert_int_equal(sql_long("SELECT count(*) FROM payout WHERE withdrawal_id = '%s'", wid),
			 1);
	id = sql_text("SELECT id FROM payout WHERE withdrawal_id = '%s'", wid);
	assert_int_equal(test_fake_flw_transfers_created(id), 1);
	/* One racer claimed the send: the provider was asked once. */
	assert_int_equal(test_fake_flw_requests("POST /v3/transfers") - sends, 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(balance(&c), 50000);
	test_fake_flw_transfer_status(id, "SUCCESSFUL");
	pay_worker_pass();
	assert_int_equal(get_payout(id)->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(id), 1);
	assert_int_equal(balance(&c), 50000);
}

/* --- transfer webhooks -------------------------------------------------------------- */

static void
test_transfer_completed_webhook_settles_a_pending_payout(void **state)
{
	club c;
	const char *wid, *transfer_id;
	Kolo__Payments__V1__Payout *p, *got;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	open_club(&c, "flw-transfer-hook");
	fund(&c, "600.00");
	wid = withdrawal_row(&c, 10000);
	p = payout(&c, wid, 10000);
	assert_int_equal(p->status, PENDING);
	transfer_id = p->provider_reference;
	assert_true(transfer_id[0]);

	/* The event's own word is not taken: the provider still says NEW. */
	assert_int_equal(
		webhook(transfer_body(transfer_id, p->id, "SUCCESSFUL", "100.00"), SECRET_HASH, &r),
		0);
	assert_true(r->processed);
	assert_int_equal(get_payout(p->id)->status, PENDING);
	assert_string_equal(stage_of(p->id), "sent");

	/* Settled at the provider: the next delivery settles it, no worker. */
	test_fake_flw_transfer_status(p->id, "SUCCESSFUL");
	assert_int_equal(
		webhook(transfer_body(transfer_id, p->id, "SUCCESSFUL", "100.00"), SECRET_HASH, &r),
		0);
	assert_true(r->processed);
	assert_string_equal(r->status, "processed");
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND event_type = 'transfer.completed'"
				  " AND outcome = 'transfer_checked'",
				  r->event_id),
			 1);
	got = get_payout(p->id);
	assert_int_equal(got->status, SUCCESS);
	assert_true(got->executed_at[0]);
	assert_string_equal(stage_of(p->id), "settled");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(balance(&c), 50000);
	/* A signed event naming a reference of a payout id's length that is
	 * no id: ignored at once, not queued for retries. */
	assert_int_equal(webhook(transfer_body(transfer_id, "not-a-payout-id-but-36-characters-xx",
					       "SUCCESSFUL", "100.00"),
				 SECRET_HASH, &r),
			 0);
	assert_true(r->processed);
	assert_string_equal(r->status, "ignored");
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND outcome = 'unknown_transfer'",
				  r->event_id),
			 1);
}

static void
test_transfer_failed_webhook_reverses_the_payout_once(void **state)
{
	club c;
	const char *wid, *body;
	Kolo__Payments__V1__Payout *p, *got;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	open_club(&c, "flw-transfer-fail-hook");
	fund(&c, "600.00");
	wid = withdrawal_row(&c, 15000);
	p = payout(&c, wid, 15000);
	assert_int_equal(p->status, PENDING);
	assert_int_equal(balance(&c), 45000);
	test_fake_flw_transfer_status(p->id, "FAILED");
	body = transfer_body(p->provider_reference, p->id, "FAILED", "150.00");
	assert_int_equal(webhook(body, SECRET_HASH, &r), 0);
	assert_true(r->processed);
	got = get_payout(p->id);
	assert_int_equal(got->status, FAILED);
	assert_contains(got->failure_reason, "DISBURSE FAILED");
	assert_string_equal(stage_of(p->id), "reversed");
	/* Delivered again: still one reversal, one recovery row. */
	assert_int_equal(webhook(body, SECRET_HASH, &r), 0);
	pay_worker_pass();
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 1);
	assert_int_equal(
		sql_long("SELECT count(*) FROM payout_recovery WHERE withdrawal_id = '%s'", wid),
		1);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(balance(&c), 60000);
}

/* A webhook deposit of ₦250,000,000.00 (the most one entry may move,
 * DESIGN §14) is credited in exact kobo; with KOLO_MAX_AMOUNT_KOBO lowered
 * to ₦1 m one of ₦1,000,000.01 is kept for a person, nothing credited. */
static void
test_deposit_of_250_million_naira_is_credited(void **state)
{
	club c;
	const char *t1 = new_transaction(), *t2 = new_transaction();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	open_club(&c, "flw-large");
	test_fake_flw_transaction(t1, c.tx_ref, "250000000.00", "successful");
	assert_int_equal(webhook(charge_body(t1, c.tx_ref, "250000000.00"), SECRET_HASH, &r), 0);
	assert_string_equal(r->status, "processed");
	assert_int_equal(sql_long("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
				  " AND type = 'CREDIT' AND amount_kobo = 25000000000",
				  t1),
			 1);
	assert_int_equal(balance(&c), 25000000000LL);
	assert_int_equal(money_set_max_kobo(100000000), 0);
	test_fake_flw_transaction(t2, c.tx_ref, "1000000.01", "successful");
	expect_uncredited(&c, t2, "1000000.01", "amount_over_limit");
	assert_int_equal(balance(&c), 25000000000LL);
}

/* Back to the default amount bound after a test that lowered it. */
static int
restore_amount_bound(void **state)
{
	assert_int_equal(money_set_max_kobo(MONEY_MAX_KOBO), 0);
	return check_invariant(state);
}

/* Issue 21's finding end to end: CreateGroup commits, then payments waits
 * on a slow provider (which makes the account) past the client's
 * deadline. The client's retry with its request_id gets the same group:
 * one group, one account. Not yet one virtual account at the provider:
 * payments takes its own provider timeout (500 ms here) for a failure and
 * the next ProvisionAccount creates again under the same tx_ref, so the
 * fake holds two (the first one orphaned; docs/decisions.md, "Idempotency
 * keys"). */
static void
test_create_group_retried_after_its_deadline_makes_one_account(void **state)
{
	Kolo__Groups__V1__CreateGroupRequest req = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupResponse *resp = NULL;
	test_user owner;
	test_caller who = {.timeout_ms = 300};
	const char *group, *tx_ref;

	test_identity_user(&w.identity, &owner, "flw-deadline");
	who.access_token = owner.access_token;
	req.name = CLUB_NAME;
	req.request_id = "flw-deadline-key";
	test_fake_flw_mode("virtual-account-numbers", "slow:800", 1);
	assert_int_equal(test_call(&w.groups, "CreateGroup", &req.base, (ProtobufCMessage **)&resp,
				   w.arena, &who),
			 ERR_DEADLINE_EXCEEDED);
	who.timeout_ms = 0;
	assert_int_equal(test_call(&w.groups, "CreateGroup", &req.base, (ProtobufCMessage **)&resp,
				   w.arena, &who),
			 0);
	group = resp->group->id;
	tx_ref = mem_arena_printf(w.arena, "kolo-%s", group);
	assert_int_equal(
		sql_long("SELECT count(*) FROM \"group\" WHERE created_by = '%s'", owner.id), 1);
	/* Whatever the first call's provider request left for the worker. */
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'", group), 1);
	assert_true(test_fake_flw_accounts_created(tx_ref) >= 1);
}

/* --- the payer of a deposit (DESIGN §15) ---------------------------------------- */

/* What verify says of transaction: naira into tx_ref from originator_json
 * (the control API's "originator"; NULL: no meta). */
static void
register_from(const char *transaction, const char *tx_ref, const char *naira,
	      const char *originator_json)
{
	test_fake_flw_control("transaction",
			      mem_arena_printf(w.arena,
					       "{\"id\":\"%s\",\"tx_ref\":\"%s\",\"amount\":%s,"
					       "\"currency\":\"NGN\",\"status\":\"successful\""
					       "%s%s}",
					       transaction, tx_ref, naira,
					       originator_json ? ",\"originator\":" : "",
					       originator_json ? originator_json : ""));
}

/* charge_body() whose top-level meta_data names the originator's account
 * (NULL: as charge_body, no account). */
static const char *
charge_body_from(const char *transaction, const char *tx_ref, const char *naira,
		 const char *originator_account)
{
	if (!originator_account)
		return charge_body(transaction, tx_ref, naira);
	return mem_arena_printf(
		w.arena,
		"{\"event\":\"charge.completed\",\"data\":{\"id\":%s,\"tx_ref\":\"%s\","
		"\"amount\":%s,\"currency\":\"NGN\",\"charged_amount\":%s,\"app_fee\":0,"
		"\"status\":\"successful\",\"payment_type\":\"bank_transfer\"},"
		"\"meta_data\":{\"originatoraccountnumber\":\"%s\",\"originatorname\":"
		"\"USER FLW PAYER\",\"bankname\":\"GTBank\"},"
		"\"event.type\":\"BANK_TRANSFER_TRANSACTION\"}",
		transaction, tx_ref, naira, naira, originator_account);
}

static const char *
deposit_from(const club *c, const char *naira, const char *originator_json,
	     const char *webhook_account)
{
	const char *transaction = new_transaction();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	register_from(transaction, c->tx_ref, naira, originator_json);
	assert_int_equal(webhook(charge_body_from(transaction, c->tx_ref, naira, webhook_account),
				 SECRET_HASH, &r),
			 0);
	assert_string_equal(r->status, "processed");
	return transaction;
}

/* The user id the deposit was credited with ("" for none). */
static const char *
credited_to(const char *transaction)
{
	return sql_text("SELECT coalesce(user_id::text, '') FROM ledger_entry"
			" WHERE reference = '%s' AND type = 'CREDIT'",
			transaction);
}

static void
test_deposits_are_credited_to_the_member_who_pays_from_the_account(void **state)
{
	Kolo__Groups__V1__AddPayerAccountRequest add =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *added = NULL;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;
	const char *originator = "{\"account_number\":\"5000000101\",\"name\":\"USER FLW PAYER\","
				 "\"bank_name\":\"GTBANK PLC\"}";
	const char *known, *unknown, *none, *by_webhook;
	json_int_t resolves;
	test_user member;
	club c;

	(void)state;
	open_club(&c, "flw-payer-owner");
	test_identity_user(&w.identity, &member, "flw-payer");
	test_world_member(&w, c.group, &c.owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	/* Flutterwave names holders: the name the bank gives must be the one
	 * the member's identity check verified. Unverified, even their own
	 * name's account is refused, nothing stored. */
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"5000000101\",\"name\":\"PAYER, USER FLW\"}");
	add.bank_code = "058";
	add.account_number = "5000000101";
	resolves = test_fake_flw_requests("/v3/accounts/resolve");
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &member),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_required");
	assert_int_equal(
		sql_long("SELECT count(*) FROM payer_account WHERE user_id = '%s'", member.id), 0);
	/* ... before any resolution is asked of the provider or counted. */
	assert_int_equal(test_fake_flw_requests("/v3/accounts/resolve"), resolves);
	assert_int_equal(sql_long("SELECT count(*) FROM payments_rate_window"
				  " WHERE kind = 'resolve_payer' AND key = '%s'",
				  member.id),
			 0);
	/* Verified: another's name is refused, nothing stored; their own is theirs. */
	test_world_kyc_verified(&w, &member);
	add.account_number = "5000000199";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &member),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "payer_name_mismatch");
	assert_int_equal(
		sql_long("SELECT count(*) FROM payer_account WHERE user_id = '%s'", member.id), 0);
	add.account_number = "5000000101";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &member),
			 0);
	assert_string_equal(added->payer_account->account_name, "PAYER, USER FLW");
	assert_int_equal(
		sql_long("SELECT count(*) FROM payer_account WHERE user_id = '%s'", member.id), 1);

	known = deposit_from(&c, "1000.00", originator, NULL);
	assert_string_equal(credited_to(known), member.id);
	unknown = deposit_from(&c, "1100.00",
			       "{\"account_number\":\"5000000188\",\"name\":\"SOMEONE ELSE\","
			       "\"bank_name\":\"GTBANK PLC\"}",
			       NULL);
	assert_string_equal(credited_to(unknown), "");
	none = deposit_from(&c, "1200.00", NULL, NULL);
	assert_string_equal(credited_to(none), "");
	/* Verify names no originator: the signed delivery's meta_data does. */
	by_webhook = deposit_from(&c, "1300.00", NULL, "5000000101");
	assert_string_equal(credited_to(by_webhook), member.id);
	/* The known deposit's delivery again: one entry, still the member's. */
	assert_int_equal(webhook(charge_body(known, c.tx_ref, "1000.00"), SECRET_HASH, &r), 0);
	assert_string_equal(r->status, "duplicate");
	assert_int_equal(sql_long("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
				  " AND user_id = '%s'",
				  known, member.id),
			 1);
	assert_int_equal(balance(&c), 460000);
}

/* The review's hijack: a user registers as "Adebayo Okafor Chinedu Eze",
 * passes KYC with the BVN of ADEBAYO OKAFOR (a subset of the words), then
 * claims the account of CHINEDU EZE, another member. The holder is held to
 * the name the identity provider returned, not the typed name: refused,
 * nothing stored, and the victim's deposits stay theirs. */
static void
test_padded_name_does_not_claim_another_members_account(void **state)
{
	Kolo__Groups__V1__AddPayerAccountRequest add =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *added = NULL;
	const char *victims;
	test_user attacker, victim, old;
	club c;

	(void)state;
	open_club(&c, "flw-pad-owner");
	test_identity_user(&w.identity, &attacker, "flw-pad");
	test_identity_user(&w.identity, &victim, "flw-victim");
	test_identity_user(&w.identity, &old, "flw-old");
	test_world_member(&w, c.group, &c.owner, &attacker, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	test_world_member(&w, c.group, &c.owner, &victim, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	test_world_member(&w, c.group, &c.owner, &old, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	sql_run("UPDATE \"user\" SET name = 'Adebayo Okafor Chinedu Eze' WHERE id = '%s'",
		attacker.id);
	sql_run("UPDATE \"user\" SET name = 'Chinedu Eze' WHERE id = '%s'", victim.id);
	test_world_kyc_verified_as(&w, &attacker, "ADEBAYO OKAFOR");
	/* The victim has not registered the account yet (else in_use). */
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"5000000301\",\"name\":\"CHINEDU EZE\"}");
	add.bank_code = "058";
	add.account_number = "5000000301";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &attacker),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "payer_name_mismatch");
	assert_int_equal(sql_long("SELECT count(*) FROM payer_account WHERE account_number ="
				  " '5000000301'"),
			 0);
	/* The attacker's own account (the BVN's holder) is theirs. */
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"5000000302\",\"name\":\"OKAFOR ADEBAYO\"}");
	add.account_number = "5000000302";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &attacker),
			 0);
	/* The victim, verified as CHINEDU EZE, registers theirs and is credited. */
	test_world_kyc_verified_as(&w, &victim, "CHINEDU EZE");
	add.account_number = "5000000301";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &victim),
			 0);
	victims = deposit_from(&c, "1000.00",
			       "{\"account_number\":\"5000000301\",\"name\":\"CHINEDU EZE\","
			       "\"bank_name\":\"GTBank\"}",
			       NULL);
	assert_string_equal(credited_to(victims), victim.id);
	/* Verified before the provider's name was kept: verify again. */
	test_world_kyc_verified_as(&w, &old, NULL);
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"5000000303\",\"name\":\"USER FLW-OLD\"}");
	add.account_number = "5000000303";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &old),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_required");
	assert_int_equal(
		sql_long("SELECT count(*) FROM payer_account WHERE user_id = '%s'", old.id), 0);
	assert_int_equal(balance(&c), 100000);
}

/* A sender's account number at another bank is another account: the bank
 * Flutterwave names, when its list names it so, must be the registered one. */
static void
test_deposit_from_the_number_at_another_bank_is_unallocated(void **state)
{
	Kolo__Groups__V1__AddPayerAccountRequest add =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *added = NULL;
	const char *other_bank, *same_bank, *same_bank_cased, *unlisted, *unlisted_other;
	test_user member;
	club c;

	(void)state;
	open_club(&c, "flw-bank-owner");
	test_identity_user(&w.identity, &member, "flw-bank");
	test_world_member(&w, c.group, &c.owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	test_world_kyc_verified(&w, &member);
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"5000000201\",\"name\":\"USER FLW-BANK\"}");
	add.bank_code = "058";
	add.account_number = "5000000201";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &member),
			 0);
	/* Access Bank (044 in Flutterwave's list): not the member's account. */
	other_bank = deposit_from(&c, "1000.00",
				  "{\"account_number\":\"5000000201\",\"name\":\"SOMEONE\","
				  "\"bank_name\":\"Access Bank\"}",
				  NULL);
	assert_string_equal(credited_to(other_bank), "");
	/* GTBank (058), as listed and in another case with spaces around. */
	same_bank = deposit_from(&c, "1100.00",
				 "{\"account_number\":\"5000000201\",\"name\":\"USER FLW BANK\","
				 "\"bank_name\":\"GTBank\"}",
				 NULL);
	assert_string_equal(credited_to(same_bank), member.id);
	same_bank_cased = deposit_from(&c, "1200.00",
				       "{\"account_number\":\"5000000201\",\"name\":\"USER\","
				       "\"bank_name\":\" gtbank \"}",
				       NULL);
	assert_string_equal(credited_to(same_bank_cased), member.id);
	/* A bank the list does not name so: the member's registered bank
	 * (GTBank) must agree with the name, else the deposit is unallocated
	 * (an officer allocates it). */
	unlisted = deposit_from(&c, "1300.00",
				"{\"account_number\":\"5000000201\",\"name\":\"USER\","
				"\"bank_name\":\"GTBANK PLC\"}",
				NULL);
	assert_string_equal(credited_to(unlisted), member.id);
	unlisted_other = deposit_from(&c, "1400.00",
				      "{\"account_number\":\"5000000201\",\"name\":\"USER\","
				      "\"bank_name\":\"FIRST BANK OF NIGERIA\"}",
				      NULL);
	assert_string_equal(credited_to(unlisted_other), "");
	assert_int_equal(balance(&c), 600000);
}

/* With the bank-list endpoint down and no list cached, deposits are still
 * credited (by the sender's bank name, which the member's registered bank
 * agrees with), and payments asks the provider for its list at most once a
 * minute: the credit path reads the cache only, and a failed fetch backs
 * off whether or not a list is held. */
static void
test_deposits_are_credited_while_the_bank_list_is_down(void **state)
{
	Kolo__Groups__V1__AddPayerAccountRequest add =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *added = NULL;
	Kolo__Payments__V1__ListBanksRequest banks = KOLO__PAYMENTS__V1__LIST_BANKS_REQUEST__INIT;
	Kolo__Payments__V1__ListBanksResponse *list = NULL;
	const char *originator = "{\"account_number\":\"5000000301\",\"name\":\"USER\","
				 "\"bank_name\":\"GTBank\"}";
	const char *d[3];
	json_int_t asked;
	test_user member;
	club c;

	(void)state;
	open_club(&c, "flw-banks-down-owner");
	test_identity_user(&w.identity, &member, "flw-banks-down");
	test_world_member(&w, c.group, &c.owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	test_world_kyc_verified(&w, &member);
	test_fake_flw_control(
		"account_name",
		"{\"account_number\":\"5000000301\",\"name\":\"USER FLW-BANKS-DOWN\"}");
	add.bank_code = "058";
	add.account_number = "5000000301";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &member),
			 0);
	/* Nothing cached, and the provider's bank list failing. */
	pay_handlers_cleanup();
	test_fake_flw_mode("banks", "fail500", 0);
	asked = test_fake_flw_requests("/v3/banks/NG");
	for (int i = 0; i < 3; i++) {
		d[i] = deposit_from(&c, "1000.00", originator, NULL);
		assert_string_equal(credited_to(d[i]), member.id);
	}
	assert_int_equal(test_fake_flw_requests("/v3/banks/NG"), asked);
	/* ListBanks asks once, fails, and then waits out the minute. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(
			test_world_call(&w, &w.payments, "ListBanks", &banks, &list, &c.owner),
			ERR_UNAVAILABLE);
		assert_string_equal(err_last()->reason, "provider_unavailable");
	}
	assert_int_equal(test_fake_flw_requests("/v3/banks/NG"), asked + 1);
	d[0] = deposit_from(&c, "1000.00", originator, NULL);
	assert_string_equal(credited_to(d[0]), member.id);
	assert_int_equal(test_fake_flw_requests("/v3/banks/NG"), asked + 1);
	assert_int_equal(balance(&c), 400000);
	/* The endpoint back: forget the failure, the list is fetched again. */
	test_fake_flw_mode("banks", "ok", 0);
	pay_handlers_cleanup();
	assert_int_equal(test_world_call(&w, &w.payments, "ListBanks", &banks, &list, &c.owner), 0);
	assert_true(list->n_banks >= 2);
	assert_true(list->names_holder); /* Flutterwave names holders */
}

/* After a restart nothing is cached; deposits never fetch the list (the
 * credit path reads the cache only), so the worker's pass fills it: once,
 * then not again within the list's TTL. A deposit then names its bank by
 * code: the other bank's deposit is unallocated. */
static void
test_the_worker_fills_the_bank_list_after_a_restart(void **state)
{
	Kolo__Groups__V1__AddPayerAccountRequest add =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *added = NULL;
	const char *other;
	json_int_t asked;
	test_user member;
	club c;

	(void)state;
	open_club(&c, "flw-warm-owner");
	test_identity_user(&w.identity, &member, "flw-warm");
	test_world_member(&w, c.group, &c.owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	test_world_kyc_verified(&w, &member);
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"5000000401\",\"name\":\"USER FLW-WARM\"}");
	add.bank_code = "058";
	add.account_number = "5000000401";
	assert_int_equal(test_world_call(&w, &w.groups, "AddPayerAccount", &add, &added, &member),
			 0);
	pay_handlers_cleanup(); /* a restart: nothing cached */
	asked = test_fake_flw_requests("/v3/banks/NG");
	pay_worker_pass();
	assert_int_equal(test_fake_flw_requests("/v3/banks/NG"), asked + 1);
	pay_worker_pass();
	assert_int_equal(test_fake_flw_requests("/v3/banks/NG"), asked + 1);
	other = deposit_from(&c, "1000.00",
			     "{\"account_number\":\"5000000401\",\"name\":\"SOMEONE\","
			     "\"bank_name\":\"Access Bank\"}",
			     NULL);
	assert_string_equal(credited_to(other), "");
	assert_int_equal(test_fake_flw_requests("/v3/banks/NG"), asked + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, calm_fake, check_invariant)
		T(test_group_creation_provisions_an_account_through_flutterwave),
		T(test_provider_failure_is_recovered_by_the_worker_with_one_account),
		T(test_concurrent_account_requests_make_one_account),
		T(test_create_group_retried_after_its_deadline_makes_one_account),
		T(test_badly_signed_webhook_is_stored_unprocessed_and_refused),
		T(test_verified_deposit_is_credited_in_exact_kobo),
		T(test_delivery_repeated_a_hundred_times_credits_once),
		T(test_deposit_fee_kept_by_flutterwave_is_debited_with_the_credit),
		T(test_deposit_fee_paid_by_the_customer_is_not_debited),
		T(test_deposit_the_provider_does_not_confirm_is_not_credited),
		cmocka_unit_test_setup_teardown(test_deposit_of_250_million_naira_is_credited,
						calm_fake, restore_amount_bound),
		T(test_deposit_queued_while_the_provider_fails_is_credited_once_later),
		T(test_concurrent_deliveries_of_one_deposit_credit_once),
		T(test_provider_connections_are_reused_for_reads_only),
		T(test_signed_events_that_are_not_deposits_are_stored_and_acknowledged),
		T(test_payout_succeeds_when_flutterwave_pays_at_once),
		T(test_failed_transfer_is_reversed_and_recorded),
		T(test_transfer_timeout_is_settled_by_polling),
		T(test_restart_between_debit_and_transfer_sends_one_transfer),
		T(test_restart_after_an_unrecorded_transfer_sends_no_second_one),
		T(test_transfer_created_then_500_is_never_sent_twice),
		T(test_unfunded_payout_sends_no_transfer),
		T(test_transfer_the_provider_never_got_is_sent_again_after_five_minutes),
		T(test_demo_account_is_not_paid_out_for_real),
		T(test_concurrent_payout_requests_send_one_transfer),
		T(test_transfer_completed_webhook_settles_a_pending_payout),
		T(test_transfer_failed_webhook_reverses_the_payout_once),
		T(test_deposits_are_credited_to_the_member_who_pays_from_the_account),
		T(test_padded_name_does_not_claim_another_members_account),
		T(test_deposit_from_the_number_at_another_bank_is_unallocated),
		T(test_deposits_are_credited_while_the_bank_list_is_down),
		T(test_the_worker_fills_the_bank_list_after_a_restart),
#undef T
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
