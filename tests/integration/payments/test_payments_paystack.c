/* kolo-payments with the Paystack provider (DESIGN §8, §14) over real gRPC
 * against a throwaway PostgreSQL, with identity, groups and ledger in the
 * same process and the provider pointed at the fake Paystack server
 * (tests/fake_paystack/), so the libcurl code runs for real. The same
 * guarantees as with Flutterwave: stored first, credited once, never sent
 * twice, recovered after a crash, fees recorded. The worker runs only when
 * a test calls pay_worker_pass(). After each test the ledger invariant is
 * checked in SQL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "payments.h"
#include "payments_service.h"
#include "provider.h"
#include "test_fake_flw.h"
#include "log/trace.h"
#include "test_world.h"

#define SUCCESS KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS
#define FAILED	KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED
#define PENDING KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_PENDING
#define ACTIVE	KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE

#define SECRET_KEY	    TEST_FAKE_PSK_SECRET_KEY
#define PROVIDER_TIMEOUT_MS 500
#define SLOW_MODE	    "slow:2500"

static test_world w;
static int next_reference = 1;

static int
setup(void **state)
{
	pay_paystack_config cfg = {.secret_key = SECRET_KEY,
				   .account_email = "accounts@kolo.example",
				   .timeout_ms = PROVIDER_TIMEOUT_MS};
	pay_provider *p = NULL;

	(void)state;
	if (sodium_init() < 0 || test_fake_start_script(TEST_FAKE_PSK_SCRIPT, SECRET_KEY) < 0 ||
	    test_world_start(&w) < 0)
		return -1;
	cfg.base_url = test_fake_flw_url();
	if (pay_paystack_new(&p, &cfg) < 0)
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

/* Every test starts with a well-behaved fake (its state kept: account
 * numbers are unique in the database). */
static int
calm_fake(void **state)
{
	static const char *const endpoints[] = {"*",
						"customer",
						"dedicated_account",
						"transferrecipient",
						"transfer",
						"transfer_verify",
						"verify",
						"resolve",
						"banks"};

	(void)state;
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		test_fake_flw_mode(endpoints[i], "ok", 0);
	test_fake_flw_mode("transfer", "pending", 0);
	return 0;
}

static int
check_invariant(void **state)
{
	(void)state;
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
	char number[32]; /* its dedicated account: what deposits name */
} club;

static void
open_club(club *c, const char *tag)
{
	test_identity_user(&w.identity, &c->owner, tag);
	test_world_group(&w, &c->owner, "Ajo Savings Club", c->group);
	snprintf(c->number, sizeof(c->number), "%s",
		 sql_text("SELECT virtual_account_number FROM account WHERE group_id = '%s'",
			  c->group));
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

/* A fresh Paystack reference (the ledger reference of a deposit). */
static const char *
new_reference(void)
{
	return mem_arena_printf(w.arena, "dva-%08d-kolo", next_reference++);
}

/* What the fake's verify says of reference. */
static void
register_charge(const char *reference, int64_t kobo, int64_t fees, const char *account,
		const char *status)
{
	test_fake_flw_control("transaction",
			      mem_arena_printf(w.arena,
					       "{\"reference\":\"%s\",\"amount\":%lld,"
					       "\"fees\":%lld,\"currency\":\"NGN\","
					       "\"status\":\"%s\",\"account_number\":\"%s\"}",
					       reference, (long long)kobo, (long long)fees, status,
					       account));
}

/* A charge.success delivery as Paystack sends it for a transfer into a
 * dedicated account. */
static const char *
charge_body(const char *reference, const char *account, int64_t kobo)
{
	return mem_arena_printf(
		w.arena,
		"{\"event\":\"charge.success\",\"data\":{\"id\":302961,\"domain\":\"test\","
		"\"status\":\"success\",\"reference\":\"%s\",\"amount\":%lld,"
		"\"gateway_response\":\"Approved\",\"channel\":\"dedicated_nuban\","
		"\"currency\":\"NGN\",\"fees\":null,\"authorization\":{"
		"\"channel\":\"dedicated_nuban\",\"receiver_bank_account_number\":\"%s\","
		"\"receiver_bank\":\"Wema Bank\",\"sender_bank\":\"GTBank\","
		"\"sender_name\":\"ADAEZE OKAFOR\",\"narration\":\"ajo\"},"
		"\"customer\":{\"customer_code\":\"CUS_x\"}}}",
		reference, (long long)kobo, account);
}

static const char *
transfer_body(const char *event, const char *reference)
{
	return mem_arena_printf(w.arena,
				"{\"event\":\"%s\",\"data\":{\"amount\":10000,"
				"\"currency\":\"NGN\",\"reference\":\"%s\","
				"\"status\":\"%s\",\"transfer_code\":\"TRF_x\"}}",
				event, reference, strchr(event, '.') + 1);
}

static const char *
signature_of(const char *body, const char *key)
{
	unsigned char mac[crypto_auth_hmacsha512_BYTES];
	crypto_auth_hmacsha512_state st;
	char *hex = mem_arena_alloc(w.arena, sizeof(mac) * 2 + 1);

	crypto_auth_hmacsha512_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha512_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha512_final(&st, mac);
	return sodium_bin2hex(hex, sizeof(mac) * 2 + 1, mac, sizeof(mac));
}

/* HandleWebhook as the gateway calls it for /v1/webhooks/<route>;
 * signature NULL sends no x-paystack-signature. */
static int
webhook_to(const char *route, const char *body, const char *signature,
	   Kolo__Payments__V1__HandleWebhookResponse **out)
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
	sig.name = "x-paystack-signature";
	sig.value = (char *)signature;
	req.provider = (char *)route;
	req.raw_body.data = (uint8_t *)body;
	req.raw_body.len = strlen(body);
	req.headers = headers;
	req.n_headers = signature ? 2 : 1;
	rc = test_world_call(&w, &w.payments, "HandleWebhook", &req, &resp, NULL);
	if (out)
		*out = resp;
	return rc;
}

static int
webhook(const char *body, const char *signature, Kolo__Payments__V1__HandleWebhookResponse **out)
{
	return webhook_to("paystack", body, signature, out);
}

static int
signed_webhook(const char *body, Kolo__Payments__V1__HandleWebhookResponse **out)
{
	return webhook(body, signature_of(body, SECRET_KEY), out);
}

/* A verified deposit of kobo into the club. */
static void
fund(const club *c, int64_t kobo)
{
	const char *reference = new_reference();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	register_charge(reference, kobo, 0, c->number, "success");
	assert_int_equal(signed_webhook(charge_body(reference, c->number, kobo), &r), 0);
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
			"\"account_name\":\"Ngozi Eze\"}', 'paystack', 'PENDING', '%s')"
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

/* --- accounts ----------------------------------------------------------- */

static void
test_group_creation_provisions_a_dedicated_account_through_paystack(void **state)
{
	club c;
	const char *tx_ref;

	(void)state;
	open_club(&c, "psk-account");
	assert_int_equal(strlen(c.number), 10);
	tx_ref = mem_arena_printf(w.arena, "kolo-%s", c.group);
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'"
				  " AND status = 'active' AND provider = 'paystack'"
				  " AND bank_name = 'Wema Bank' AND provider_ref LIKE 'CUS_%%'",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM account_metadata m JOIN account a"
				  " ON a.id = m.account_id WHERE a.group_id = '%s'"
				  " AND m.raw_payload->'data'->>'account_number' = '%s'",
				  c.group, c.number),
			 1);
	assert_int_equal(test_fake_flw_accounts_created(tx_ref), 1);
}

/* Paystack's requests made for a call carry that call's trace (W3C
 * traceparent naming payments' span), so the provider's logs can be
 * matched with ours. */
static void
test_provider_requests_carry_the_calls_traceparent(void **state)
{
	club c;
	json_t *stats;
	const char *tp;
	trace_ctx t;

	(void)state;
	open_club(&c, "psk-trace");
	stats = test_fake_flw_stats();
	tp = json_string_value(
		json_object_get(json_object_get(stats, "last_traceparent"), "/dedicated_account"));
	if (!tp)
		fail_msg("Paystack got no traceparent on /dedicated_account");
	assert_int_equal(trace_parse_traceparent(&t, tp), 0);
	assert_int_equal(strlen(tp), TRACE_PARENT_LEN);
	json_decref(stats);
}

static void
test_provider_failure_is_recovered_by_the_worker_with_one_account(void **state)
{
	club c;
	const char *tx_ref;

	(void)state;
	/* Made at Paystack, the answer lost: the retry finds it. */
	test_fake_flw_mode("dedicated_account", "created_fail500", 1);
	open_club(&c, "psk-recover");
	tx_ref = mem_arena_printf(w.arena, "kolo-%s", c.group);
	assert_string_equal(c.number, "");
	assert_int_equal(sql_long("SELECT count(*) FROM va_recovery WHERE group_id = '%s'"
				  " AND status = 'pending' AND provider = 'paystack'",
				  c.group),
			 1);
	assert_int_equal(test_fake_flw_accounts_created(tx_ref), 1);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM account WHERE group_id = '%s'"
				  " AND status = 'active' AND provider = 'paystack'",
				  c.group),
			 1);
	assert_int_equal(sql_long("SELECT count(*) FROM va_recovery WHERE group_id = '%s'"
				  " AND status = 'done'",
				  c.group),
			 1);
	assert_int_equal(test_fake_flw_accounts_created(tx_ref), 1);
}

/* --- deposits ----------------------------------------------------------- */

static void
test_badly_signed_webhook_is_kept_unprocessed_and_refused(void **state)
{
	club c;
	const char *reference = new_reference(), *body;

	(void)state;
	open_club(&c, "psk-unsigned");
	register_charge(reference, 150075, 0, c.number, "success");
	body = charge_body(reference, c.number, 150075);
	assert_int_equal(webhook(body, signature_of(body, "sk_test_a_guess"), NULL),
			 ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "bad_signature");
	assert_int_equal(webhook(body, NULL, NULL), ERR_UNAUTHENTICATED);
	assert_int_equal(webhook(body, "", NULL), ERR_UNAUTHENTICATED);
	/* Signed for another body. */
	assert_int_equal(webhook(body, signature_of("{}", SECRET_KEY), NULL), ERR_UNAUTHENTICATED);
	/* Signed right but sent to Flutterwave's route: not taken as signed. */
	assert_int_equal(webhook_to("flutterwave", body, signature_of(body, SECRET_KEY), NULL),
			 ERR_UNAUTHENTICATED);
	assert_string_equal(err_last()->reason, "bad_signature");
	/* Kept as headers, length, hash and a prefix; never the whole body. */
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event"
				  " WHERE raw_payload->>'prefix' LIKE '%%%s%%'"
				  " AND raw_payload->'data' IS NULL AND body_bytes = %zu"
				  " AND event_type = 'charge.success' AND provider = 'paystack'"
				  " AND NOT signature_valid AND NOT processed",
				  reference, strlen(body)),
			 5);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(entries(reference, "CREDIT"), 0);
	assert_int_equal(balance(&c), 0);
	assert_int_equal(test_fake_flw_requests(
				 mem_arena_printf(w.arena, "/transaction/verify/%s", reference)),
			 0);
}

static void
test_verified_deposit_is_credited_once_with_its_fee(void **state)
{
	club c;
	const char *reference = new_reference(), *body;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	(void)state;
	open_club(&c, "psk-deposit");
	register_charge(reference, 500000, 7050, c.number, "success");
	body = charge_body(reference, c.number, 500000);
	assert_int_equal(signed_webhook(body, &r), 0);
	assert_true(r->processed);
	assert_string_equal(r->status, "processed");
	assert_int_equal(
		sql_long("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
			 " AND group_id = '%s' AND type = 'CREDIT' AND amount_kobo = 500000"
			 " AND source = 'provider_sandbox' AND NOT simulated",
			 reference, c.group),
		1);
	assert_int_equal(sql_long("SELECT count(*) FROM ledger_entry WHERE reference = 'fee:%s'"
				  " AND type = 'DEBIT' AND amount_kobo = 7050",
				  reference),
			 1);
	assert_int_equal(balance(&c), 492950);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND signature_valid AND provider = 'paystack'"
				  " AND outcome = 'credited' AND event_type = 'charge.success'",
				  r->event_id),
			 1);
	/* Delivered again and again: credited once. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(signed_webhook(body, &r), 0);
		assert_string_equal(r->status, "duplicate");
	}
	assert_int_equal(entries(reference, "CREDIT"), 1);
	assert_int_equal(balance(&c), 492950);
	assert_int_equal(test_fake_flw_requests(
				 mem_arena_printf(w.arena, "/transaction/verify/%s", reference)),
			 21);
}

/* A signed delivery the verification contradicts, or naming an account
 * that is not a group's: processed with the outcome, never credited. */
static void
expect_uncredited(const char *body, const char *reference, const char *outcome)
{
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	assert_int_equal(signed_webhook(body, &r), 0);
	assert_true(r->processed);
	assert_string_equal(r->status, "ignored");
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND outcome = '%s'",
				  r->event_id, outcome),
			 1);
	assert_int_equal(entries(reference, "CREDIT"), 0);
}

static void
test_deposit_paystack_does_not_confirm_is_not_credited(void **state)
{
	club c, other;
	const char *ref;

	(void)state;
	open_club(&c, "psk-unconfirmed");
	open_club(&other, "psk-unconfirmed-other");
	/* Unknown to Paystack. */
	ref = new_reference();
	expect_uncredited(charge_body(ref, c.number, 10000), ref, "verification_failed");
	/* Not successful. */
	ref = new_reference();
	register_charge(ref, 10000, 0, c.number, "failed");
	expect_uncredited(charge_body(ref, c.number, 10000), ref, "verification_mismatch");
	/* Another amount. */
	ref = new_reference();
	register_charge(ref, 10000, 0, c.number, "success");
	expect_uncredited(charge_body(ref, c.number, 99999), ref, "verification_mismatch");
	/* Paid into another group's account than the event claims. */
	ref = new_reference();
	register_charge(ref, 10000, 0, other.number, "success");
	expect_uncredited(charge_body(ref, c.number, 10000), ref, "verification_mismatch");
	/* Another currency. */
	ref = new_reference();
	test_fake_flw_control(
		"transaction",
		mem_arena_printf(w.arena,
				 "{\"reference\":\"%s\",\"amount\":10000,\"currency\":"
				 "\"USD\",\"account_number\":\"%s\"}",
				 ref, c.number));
	expect_uncredited(charge_body(ref, c.number, 10000), ref, "verification_mismatch");
	/* An account that is no group's. */
	ref = new_reference();
	register_charge(ref, 10000, 0, "1111111111", "success");
	expect_uncredited(charge_body(ref, "1111111111", 10000), ref, "unknown_account");
	assert_int_equal(balance(&c), 0);
	assert_int_equal(balance(&other), 0);
}

static void
test_deposit_queued_while_paystack_fails_is_credited_once_later(void **state)
{
	club c;
	const char *reference = new_reference(), *body;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;
	char event[64];

	(void)state;
	open_club(&c, "psk-queued");
	register_charge(reference, 200050, 0, c.number, "success");
	body = charge_body(reference, c.number, 200050);
	test_fake_flw_mode("verify", "fail500", 0);
	assert_int_equal(signed_webhook(body, &r), 0);
	assert_false(r->processed);
	assert_string_equal(r->status, "queued");
	snprintf(event, sizeof(event), "%s", r->event_id);
	/* A timeout next: still queued. */
	test_fake_flw_mode("verify", SLOW_MODE, 0);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND NOT processed AND attempts = 2",
				  event),
			 1);
	assert_int_equal(entries(reference, "CREDIT"), 0);
	test_fake_flw_mode("verify", "ok", 0);
	make_retries_due();
	pay_worker_pass();
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND processed AND outcome = 'credited'",
				  event),
			 1);
	assert_int_equal(balance(&c), 200050);
	assert_int_equal(signed_webhook(body, &r), 0);
	assert_string_equal(r->status, "duplicate");
	assert_int_equal(entries(reference, "CREDIT"), 1);
}

static void
test_events_that_are_not_deposits_are_stored_and_acknowledged(void **state)
{
	static const char *const bodies[] = {
		"{\"event\":\"customeridentification.success\",\"data\":{\"customer_code\":\"CUS_"
		"1\"}}",
		"{\"event\":\"dedicatedaccount.assign.success\",\"data\":{}}",
		"{\"event\":\"charge.success\",\"data\":{\"reference\":\"card-1\",\"amount\":100,"
		"\"authorization\":{\"channel\":\"card\"}}}",
		"not json at all",
	};
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_int_equal(signed_webhook(bodies[i], &r), 0);
		assert_true(r->processed);
		assert_string_equal(r->status, "ignored");
		assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
					  " AND processed AND signature_valid",
					  r->event_id),
				 1);
	}
}

/* --- payouts ------------------------------------------------------------ */

static void
test_payout_succeeds_when_paystack_pays_at_once(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__Payout *p;
	Kolo__Payments__V1__CreatePayoutResponse *again = NULL;
	char *sent;

	(void)state;
	open_club(&c, "psk-payout");
	fund(&c, 500000);
	wid = withdrawal_row(&c, 123456);
	test_fake_flw_mode("transfer", "succeed_immediately", 1);
	p = payout(&c, wid, 123456);
	assert_int_equal(p->status, SUCCESS);
	assert_string_equal(p->provider, "paystack");
	assert_true(p->executed_at[0]);
	assert_string_equal(stage_of(p->id), "settled");
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	sent = test_fake_flw_last_body("/transfer");
	assert_contains(sent, "\"amount\":123456");
	assert_contains(sent, mem_arena_printf(w.arena, "\"reference\":\"%s\"", p->id));
	free(sent);
	assert_int_equal(balance(&c), 500000 - 123456);
	assert_int_equal(payout_to(&c, wid, 123456, "0123456789", &again), 0);
	assert_true(again->replayed);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
}

static void
test_failed_transfer_is_reversed_once(void **state)
{
	club c;
	const char *wid, *refused_wid;
	Kolo__Payments__V1__Payout *p;
	Kolo__Payments__V1__CreatePayoutResponse *r = NULL;

	(void)state;
	open_club(&c, "psk-payout-fail");
	fund(&c, 100000);
	wid = withdrawal_row(&c, 30000);
	test_fake_flw_mode("transfer", "fail_immediately", 1);
	p = payout(&c, wid, 30000);
	assert_int_equal(p->status, FAILED);
	assert_contains(p->failure_reason, "Insufficient balance");
	assert_string_equal(stage_of(p->id), "reversed");
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 1);
	assert_int_equal(balance(&c), 100000);
	pay_worker_pass();
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 1);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	/* An account Paystack will not pay: refused before any transfer. */
	refused_wid = withdrawal_row(&c, 20000);
	assert_int_equal(payout_to(&c, refused_wid, 20000, "0000000000", &r), 0);
	assert_int_equal(r->payout->status, FAILED);
	assert_int_equal(test_fake_flw_transfers_created(r->payout->id), 0);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", refused_wid), "CREDIT"),
			 1);
	assert_int_equal(balance(&c), 100000);
}

static void
test_transfer_timeout_and_500_are_settled_by_polling_never_sent_twice(void **state)
{
	club c;
	const char *wid, *wid2;
	Kolo__Payments__V1__Payout *p, *p2;

	(void)state;
	open_club(&c, "psk-payout-slow");
	fund(&c, 100000);
	wid = withdrawal_row(&c, 50000);
	test_fake_flw_mode("transfer", SLOW_MODE, 1);
	p = payout(&c, wid, 50000);
	assert_int_equal(p->status, PENDING);
	assert_string_equal(stage_of(p->id), "sent");
	wid2 = withdrawal_row(&c, 25000);
	test_fake_flw_mode("transfer", "created_fail500", 1);
	p2 = payout(&c, wid2, 25000);
	assert_int_equal(p2->status, PENDING);
	for (int i = 0; i < 3; i++)
		pay_worker_pass();
	assert_int_equal(get_payout(p->id)->status, PENDING);
	assert_int_equal(get_payout(p2->id)->status, PENDING);
	assert_no_second_attempt(&c, wid, 50000, 25000);
	test_fake_flw_transfer_status(p->id, "success");
	test_fake_flw_transfer_status(p2->id, "success");
	pay_worker_pass();
	assert_int_equal(get_payout(p->id)->status, SUCCESS);
	assert_int_equal(get_payout(p2->id)->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(test_fake_flw_transfers_created(p2->id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 0);
	assert_int_equal(balance(&c), 25000);
}

static void
test_restart_between_debit_and_transfer_sends_one_transfer(void **state)
{
	club c;
	const char *wid, *pid;

	(void)state;
	open_club(&c, "psk-restart");
	fund(&c, 100000);
	wid = withdrawal_row(&c, 40000);
	/* A process killed after the debit, before the transfer. */
	post_payout_debit(&c, wid, 40000);
	pid = payout_row(&c, wid, 40000, "debited");
	pay_worker_pass();
	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(pid), 1);
	assert_string_equal(stage_of(pid), "sent");
	test_fake_flw_transfer_status(pid, "success");
	pay_worker_pass();
	assert_int_equal(get_payout(pid)->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(pid), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "payout:%s", wid), "DEBIT"), 1);
	assert_int_equal(balance(&c), 60000);
}

/* A crash after Paystack took the transfer, before the payout recorded
 * it: the worker sends it again with the same reference, Paystack refuses
 * the known reference, and the payout follows the one transfer. */
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

	(void)state;
	open_club(&c, "psk-unrecorded");
	fund(&c, 100000);
	wid = withdrawal_row(&c, 40000);
	post_payout_debit(&c, wid, 40000);
	id = payout_row(&c, wid, 40000, "debited");
	req.reference = id;
	assert_int_equal(w.provider->ops->create_transfer(w.provider, &req, &out), 0);
	pay_free_raw(&out.raw_json);
	pay_worker_pass();
	assert_int_equal(test_fake_flw_transfers_created(id), 1);
	assert_int_equal(get_payout(id)->status, PENDING);
	assert_string_equal(stage_of(id), "sent");
	test_fake_flw_transfer_status(id, "success");
	pay_worker_pass();
	assert_int_equal(get_payout(id)->status, SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created(id), 1);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 0);
	assert_int_equal(balance(&c), 60000);
}

/* Out of order: a transfer.success before Paystack says so is not taken;
 * a stale transfer.failed after the success changes nothing. */
static void
test_transfer_webhooks_out_of_order_settle_by_what_paystack_says(void **state)
{
	club c;
	const char *wid;
	Kolo__Payments__V1__Payout *p;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	(void)state;
	open_club(&c, "psk-transfer-hooks");
	fund(&c, 60000);
	wid = withdrawal_row(&c, 10000);
	p = payout(&c, wid, 10000);
	assert_int_equal(p->status, PENDING);
	assert_int_equal(signed_webhook(transfer_body("transfer.success", p->id), &r), 0);
	assert_true(r->processed);
	assert_int_equal(get_payout(p->id)->status, PENDING);
	test_fake_flw_transfer_status(p->id, "success");
	assert_int_equal(signed_webhook(transfer_body("transfer.success", p->id), &r), 0);
	assert_string_equal(r->status, "processed");
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND outcome = 'transfer_checked'"
				  " AND event_type = 'transfer.success'",
				  r->event_id),
			 1);
	assert_int_equal(get_payout(p->id)->status, SUCCESS);
	assert_int_equal(signed_webhook(transfer_body("transfer.failed", p->id), &r), 0);
	assert_int_equal(signed_webhook(transfer_body("transfer.success", p->id), &r), 0);
	pay_worker_pass();
	assert_int_equal(get_payout(p->id)->status, SUCCESS);
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 0);
	assert_int_equal(balance(&c), 50000);
}

static void
test_transfer_failed_webhook_reverses_the_payout_once(void **state)
{
	club c;
	const char *wid, *body;
	Kolo__Payments__V1__Payout *p;
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	(void)state;
	open_club(&c, "psk-transfer-fail-hook");
	fund(&c, 60000);
	wid = withdrawal_row(&c, 15000);
	p = payout(&c, wid, 15000);
	test_fake_flw_transfer_status(p->id, "failed");
	body = transfer_body("transfer.failed", p->id);
	assert_int_equal(signed_webhook(body, &r), 0);
	assert_int_equal(get_payout(p->id)->status, FAILED);
	assert_int_equal(signed_webhook(body, &r), 0);
	pay_worker_pass();
	assert_int_equal(entries(mem_arena_printf(w.arena, "reversal:%s", wid), "CREDIT"), 1);
	assert_int_equal(test_fake_flw_transfers_created(p->id), 1);
	assert_int_equal(balance(&c), 60000);
}

/* The beneficiary name rule: resolve gives the name the bank holds, and a
 * provider that names another person is reported as it is. */
static void
test_resolve_names_the_account_holder_paystack_reports(void **state)
{
	Kolo__Payments__V1__ResolveBankAccountRequest req =
		KOLO__PAYMENTS__V1__RESOLVE_BANK_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__ResolveBankAccountResponse *resp = NULL;
	club c;

	(void)state;
	open_club(&c, "psk-resolve");
	req.group_id = c.group;
	req.bank_code = "058";
	req.account_number = "0123456789";
	assert_int_equal(
		test_world_call(&w, &w.payments, "ResolveBankAccount", &req, &resp, &c.owner), 0);
	assert_string_equal(resp->account_name, "ADAEZE OKAFOR");
	test_fake_flw_mode("resolve", "name_mismatch", 1);
	assert_int_equal(
		test_world_call(&w, &w.payments, "ResolveBankAccount", &req, &resp, &c.owner), 0);
	assert_string_equal(resp->account_name, "CHUKWUEMEKA BELLO");
	req.account_number = "0000000000";
	assert_int_equal(
		test_world_call(&w, &w.payments, "ResolveBankAccount", &req, &resp, &c.owner),
		ERR_NOT_FOUND);
}

/* --- the payer of a deposit (DESIGN §15) ---------------------------------------- */

/* What the fake's verify says of reference, with sender_json the
 * "sender" of the control API ("null": no sender fields). */
static void
register_charge_from(const char *reference, int64_t kobo, const char *account,
		     const char *sender_json)
{
	test_fake_flw_control("transaction",
			      mem_arena_printf(w.arena,
					       "{\"reference\":\"%s\",\"amount\":%lld,"
					       "\"fees\":0,\"currency\":\"NGN\","
					       "\"status\":\"success\",\"account_number\":\"%s\","
					       "\"sender\":%s}",
					       reference, (long long)kobo, account, sender_json));
}

/* charge_body() naming the sender's account (NULL: none). */
static const char *
charge_body_from(const char *reference, const char *account, int64_t kobo,
		 const char *sender_account)
{
	return mem_arena_printf(
		w.arena,
		"{\"event\":\"charge.success\",\"data\":{\"id\":302961,\"domain\":\"test\","
		"\"status\":\"success\",\"reference\":\"%s\",\"amount\":%lld,"
		"\"channel\":\"dedicated_nuban\",\"currency\":\"NGN\",\"fees\":null,"
		"\"authorization\":{\"channel\":\"dedicated_nuban\","
		"\"receiver_bank_account_number\":\"%s\",\"receiver_bank\":\"Wema Bank\""
		"%s%s%s},\"customer\":{\"customer_code\":\"CUS_x\"}}}",
		reference, (long long)kobo, account,
		sender_account ? ",\"sender_bank\":\"Guaranty Trust Bank\",\"sender_name\":"
				 "\"USER PSK PAYER\",\"sender_bank_account_number\":\""
			       : "",
		sender_account ? sender_account : "", sender_account ? "\"" : "");
}

static int
add_payer(const test_user *as, const char *bank, const char *number)
{
	Kolo__Groups__V1__AddPayerAccountRequest req =
		KOLO__GROUPS__V1__ADD_PAYER_ACCOUNT_REQUEST__INIT;
	Kolo__Groups__V1__AddPayerAccountResponse *resp = NULL;

	req.bank_code = (char *)bank;
	req.account_number = (char *)number;
	return test_world_call(&w, &w.groups, "AddPayerAccount", &req, &resp, as);
}

/* The user id the deposit reference was credited with ("" for none). */
static const char *
credited_to(const char *reference)
{
	return sql_text("SELECT coalesce(user_id::text, '') FROM ledger_entry"
			" WHERE reference = '%s' AND type = 'CREDIT'",
			reference);
}

static const char *
deposit_from(const club *c, int64_t kobo, const char *sender_json, const char *webhook_sender)
{
	const char *reference = new_reference();
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;

	register_charge_from(reference, kobo, c->number, sender_json);
	assert_int_equal(
		signed_webhook(charge_body_from(reference, c->number, kobo, webhook_sender), &r),
		0);
	assert_string_equal(r->status, "processed");
	return reference;
}

static void
test_deposits_are_credited_to_the_member_who_pays_from_the_account(void **state)
{
	club c;
	test_user member;
	const char *known, *unknown, *none, *masked, *by_webhook, *late;
	const char *sender = "{\"account_number\":\"4000000101\",\"name\":\"USER PSK PAYER\","
			     "\"bank\":\"Guaranty Trust Bank\"}";
	Kolo__Payments__V1__HandleWebhookResponse *r = NULL;
	rpc_channel *dead = NULL;
	pay_deps saved, down;
	char event[64];

	(void)state;
	open_club(&c, "psk-payer-owner");
	test_identity_user(&w.identity, &member, "psk-payer");
	test_world_member(&w, c.group, &c.owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	/* Paystack names holders: the name the bank gives must be the one the
	 * member's identity check verified. Unverified, even their own name's
	 * account is refused, nothing stored. */
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"4000000101\",\"name\":\"USER PSK-PAYER\"}");
	assert_int_equal(add_payer(&member, "058", "4000000101"), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_required");
	assert_int_equal(
		sql_long("SELECT count(*) FROM payer_account WHERE user_id = '%s'", member.id), 0);
	/* Verified: another's account is refused; their own is theirs. */
	test_world_kyc_verified(&w, &member);
	assert_int_equal(add_payer(&member, "058", "4000000199"), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "payer_name_mismatch");
	assert_int_equal(
		sql_long("SELECT count(*) FROM payer_account WHERE user_id = '%s'", member.id), 0);
	assert_int_equal(add_payer(&member, "058", "4000000101"), 0);
	assert_string_equal(
		sql_text("SELECT account_name FROM payer_account WHERE user_id = '%s'", member.id),
		"USER PSK-PAYER");

	/* Known, unknown, missing and masked senders. */
	known = deposit_from(&c, 100000, sender, NULL);
	assert_string_equal(credited_to(known), member.id);
	unknown = deposit_from(&c, 110000,
			       "{\"account_number\":\"4000000188\",\"name\":\"SOMEONE\","
			       "\"bank\":\"Guaranty Trust Bank\"}",
			       NULL);
	assert_string_equal(credited_to(unknown), "");
	none = deposit_from(&c, 120000, "null", NULL);
	assert_string_equal(credited_to(none), "");
	masked = deposit_from(&c, 130000,
			      "{\"account_number\":\"XXXXXX0101\",\"name\":\"USER PSK PAYER\","
			      "\"bank\":\"Guaranty Trust Bank\"}",
			      NULL);
	assert_string_equal(credited_to(masked), "");
	/* A verification without the sender: the signed delivery's word. */
	by_webhook = deposit_from(&c, 140000, "null", "4000000101");
	assert_string_equal(credited_to(by_webhook), member.id);

	/* The known deposit's webhook again: one entry, still the member's. */
	register_charge_from(known, 100000, c.number, sender);
	assert_int_equal(signed_webhook(charge_body_from(known, c.number, 100000, NULL), &r), 0);
	assert_string_equal(r->status, "duplicate");
	assert_int_equal(sql_long("SELECT count(*) FROM ledger_entry WHERE reference = '%s'"
				  " AND user_id = '%s'",
				  known, member.id),
			 1);

	/* Groups not answering: the deposit waits (queued), never credited
	 * unattributed; once groups answers, the worker credits the member. */
	assert_int_equal(rpc_channel_open(&dead, "127.0.0.1:1",
					  &kolo__groups__v1__groups_service__descriptor, NULL),
			 0);
	late = new_reference();
	register_charge_from(late, 150000, c.number, sender);
	saved = *pay_current();
	down = saved;
	down.groups = dead;
	pay_configure(&down);
	assert_int_equal(signed_webhook(charge_body_from(late, c.number, 150000, NULL), &r), 0);
	pay_configure(&saved);
	rpc_channel_close(dead);
	assert_false(r->processed);
	assert_string_equal(r->status, "queued");
	snprintf(event, sizeof(event), "%s", r->event_id);
	assert_int_equal(sql_long("SELECT count(*) FROM webhook_event WHERE id = '%s'"
				  " AND NOT processed AND outcome = 'payer_match_unavailable'",
				  event),
			 1);
	assert_int_equal(entries(late, "CREDIT"), 0);
	make_retries_due();
	pay_worker_pass();
	assert_string_equal(credited_to(late), member.id);
	assert_int_equal(balance(&c), 100000 + 110000 + 120000 + 130000 + 140000 + 150000);
}

/* A sender's account number at another bank is another account: the bank
 * Paystack names, when its list names it so, must be the registered one. */
static void
test_deposit_from_the_number_at_another_bank_is_unallocated(void **state)
{
	const char *other_bank, *same_bank, *unlisted, *unlisted_other;
	test_user member;
	club c;

	(void)state;
	open_club(&c, "psk-bank-owner");
	test_identity_user(&w.identity, &member, "psk-bank");
	test_world_member(&w, c.group, &c.owner, &member, KOLO__COMMON__V1__ROLE__ROLE_MEMBER);
	test_world_kyc_verified(&w, &member);
	test_fake_flw_control("account_name",
			      "{\"account_number\":\"4000000201\",\"name\":\"USER PSK-BANK\"}");
	assert_int_equal(add_payer(&member, "058", "4000000201"), 0);
	/* Access Bank (044 in Paystack's list): not the member's account. */
	other_bank = deposit_from(&c, 100000,
				  "{\"account_number\":\"4000000201\",\"name\":\"SOMEONE\","
				  "\"bank\":\"Access Bank\"}",
				  NULL);
	assert_string_equal(credited_to(other_bank), "");
	/* Guaranty Trust Bank (058), in another case with spaces around. */
	same_bank = deposit_from(&c, 110000,
				 "{\"account_number\":\"4000000201\",\"name\":\"USER PSK BANK\","
				 "\"bank\":\" GUARANTY TRUST BANK \"}",
				 NULL);
	assert_string_equal(credited_to(same_bank), member.id);
	/* A bank the list does not name so: the member's registered bank
	 * (Guaranty Trust Bank) must agree with the name, else the deposit is
	 * unallocated (an officer allocates it): "GTBank" does not. */
	unlisted = deposit_from(&c, 120000,
				"{\"account_number\":\"4000000201\",\"name\":\"USER\","
				"\"bank\":\"Guaranty Trust Bank Plc\"}",
				NULL);
	assert_string_equal(credited_to(unlisted), member.id);
	unlisted_other = deposit_from(&c, 130000,
				      "{\"account_number\":\"4000000201\",\"name\":\"USER\","
				      "\"bank\":\"GTBank\"}",
				      NULL);
	assert_string_equal(credited_to(unlisted_other), "");
	assert_int_equal(balance(&c), 460000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, calm_fake, check_invariant)
		T(test_group_creation_provisions_a_dedicated_account_through_paystack),
		T(test_provider_requests_carry_the_calls_traceparent),
		T(test_provider_failure_is_recovered_by_the_worker_with_one_account),
		T(test_badly_signed_webhook_is_kept_unprocessed_and_refused),
		T(test_verified_deposit_is_credited_once_with_its_fee),
		T(test_deposit_paystack_does_not_confirm_is_not_credited),
		T(test_deposit_queued_while_paystack_fails_is_credited_once_later),
		T(test_events_that_are_not_deposits_are_stored_and_acknowledged),
		T(test_payout_succeeds_when_paystack_pays_at_once),
		T(test_failed_transfer_is_reversed_once),
		T(test_transfer_timeout_and_500_are_settled_by_polling_never_sent_twice),
		T(test_restart_between_debit_and_transfer_sends_one_transfer),
		T(test_restart_after_an_unrecorded_transfer_sends_no_second_one),
		T(test_transfer_webhooks_out_of_order_settle_by_what_paystack_says),
		T(test_transfer_failed_webhook_reverses_the_payout_once),
		T(test_resolve_names_the_account_holder_paystack_reports),
		T(test_deposits_are_credited_to_the_member_who_pays_from_the_account),
		T(test_deposit_from_the_number_at_another_bank_is_unallocated),
#undef T
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
