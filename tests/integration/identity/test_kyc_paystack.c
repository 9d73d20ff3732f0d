/* KYC through Paystack (DESIGN §14) over real gRPC against PostgreSQL:
 * identity seals the number and asks payments, which validates the BVN
 * against the person's bank account at the fake Paystack (a customer per
 * user, POST /customer/{code}/identification). The result arrives by the
 * customeridentification.* webhook; identity's worker reads it back: the
 * customer's "identified" decides a verification, the stored
 * customeridentification.failed a refusal. Refusals, a provider that names
 * another person, 5xx and timeouts, duplicate and out-of-order webhooks,
 * and a live Paystack account that waits for a KYC-verified OWNER, then
 * opens by itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "handlers.h"
#include "kyc.h"
#include "payments.h"
#include "provider.h"
#include "svc/call.h"
#include "test_fake_flw.h"
#include "test_world.h"

#define PII_KEY	   "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HASH_KEY   "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f"
#define SECRET_KEY TEST_FAKE_PSK_SECRET_KEY
#define BANK_CODE  "058"
#define ACCOUNT	   "0123456789"
#define NEEDS_KYC  KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_NEEDS_KYC
#define ACTIVE	   KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE

static test_world w;
static int started;
static int next_number = 1000;

static void
use_paystack(int live)
{
	pay_paystack_config cfg = {.secret_key = SECRET_KEY,
				   .account_email = "accounts@kolo.example",
				   .timeout_ms = 500,
				   .base_url = test_fake_flw_url()};
	pay_provider *p = NULL;
	pay_deps deps;

	assert_int_equal(pay_paystack_new(&p, &cfg), 0);
	test_world_provider(&w, p);
	deps = *pay_current();
	deps.identity = w.to_identity;
	deps.accounts_need_kyc = live;
	pay_configure(&deps);
}

static int
setup(void **state)
{
	idn_kyc_deps deps = {.enabled = 1, .poll_interval_ms = 1000, .poll_batch = 32};

	(void)state;
	if (sodium_init() < 0 || test_fake_start_script(TEST_FAKE_PSK_SCRIPT, SECRET_KEY) < 0 ||
	    test_world_start(&w) < 0)
		return -1;
	started = 1;
	if (idn_pii_keyring_parse(&deps.keys, PII_KEY, "", HASH_KEY) < 0)
		return -1;
	deps.payments = w.to_payments;
	idn_kyc_configure(&deps);
	idn_pii_keyring_wipe(&deps.keys);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	idn_kyc_unconfigure();
	if (started)
		test_world_stop(&w);
	test_fake_flw_stop();
	return 0;
}

static int
reset(void **state)
{
	static const char *const endpoints[] = {"*", "customer", "identification",
						"dedicated_account"};

	(void)state;
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		test_fake_flw_mode(endpoints[i], "ok", 0);
	use_paystack(0);
	return 0;
}

static int
check_invariant(void **state)
{
	(void)state;
	test_pg_payments_invariant(w.admin);
	return 0;
}

/* A fresh 11-digit number ending in tail (3 digits). */
static void
number_ending(char out[12], const char *tail)
{
	snprintf(out, 12, "22%06d%s", next_number++, tail);
}

/* SubmitKyc with the person's bank account (bank_code NULL: none). */
static int
submit_with(const test_user *u, const char *type, const char *number, const char *bank_code,
	    const char *account, Kolo__Identity__V1__Kyc **out)
{
	Kolo__Identity__V1__SubmitKycRequest req = KOLO__IDENTITY__V1__SUBMIT_KYC_REQUEST__INIT;
	Kolo__Identity__V1__SubmitKycResponse *resp = NULL;
	char copy[32];
	int rc;

	snprintf(copy, sizeof(copy), "%s", number);
	req.id_type = (char *)type;
	req.id_number = copy;
	if (bank_code) {
		req.bank_code = (char *)bank_code;
		req.account_number = (char *)account;
	}
	rc = test_world_call(&w, &w.identity.service, "SubmitKyc", &req, &resp, u);
	if (out)
		*out = rc == 0 ? resp->kyc : NULL;
	return rc;
}

static int
submit(const test_user *u, const char *number, Kolo__Identity__V1__Kyc **out)
{
	return submit_with(u, "bvn", number, BANK_CODE, ACCOUNT, out);
}

static Kolo__Identity__V1__Kyc *
get_kyc(const test_user *u)
{
	Kolo__Identity__V1__GetKycRequest req = KOLO__IDENTITY__V1__GET_KYC_REQUEST__INIT;
	Kolo__Identity__V1__GetKycResponse *resp = NULL;

	assert_int_equal(test_world_call(&w, &w.identity.service, "GetKyc", &req, &resp, u), 0);
	return resp->kyc;
}

static long
kyc_rows(const test_user *u)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM user_kyc WHERE user_id = '%s'", u->id);
	return test_pg_long(w.admin, sql);
}

static long
activity(const test_user *u, const char *event)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_activity_log WHERE user_id = '%s' "
		 "AND event = '%s'",
		 u->id, event);
	return test_pg_long(w.admin, sql);
}

/* The user's Paystack customer code (the check's reference, before ':'). */
static const char *
customer_of(const test_user *u)
{
	char sql[256];
	char *ref, *colon;
	const char *code;

	snprintf(sql, sizeof(sql), "SELECT provider_ref FROM user_kyc WHERE user_id = '%s'", u->id);
	ref = test_pg_value(w.admin, sql);
	assert_non_null(ref);
	colon = strchr(ref, ':');
	assert_non_null(colon);
	*colon = '\0';
	code = mem_arena_strdup(w.arena, ref);
	free(ref);
	return code;
}

/* Settles the customer's identification at the fake (status NULL: as it
 * stands) and answers the webhook Paystack would send for it. */
static const char *
settle(const char *code, const char *status)
{
	char body[256];
	long http = 0;
	char *reply, *event;
	json_t *j;
	const char *out;

	if (status)
		snprintf(body, sizeof(body), "{\"customer_code\":\"%s\",\"status\":\"%s\"}", code,
			 status);
	else
		snprintf(body, sizeof(body), "{\"customer_code\":\"%s\"}", code);
	reply = test_fake_flw_http("POST", "/_control/identification", body, &http);
	assert_int_equal(http, 200);
	j = json_loads(reply, 0, NULL);
	free(reply);
	assert_non_null(j);
	event = json_dumps(json_object_get(j, "event"), JSON_COMPACT);
	json_decref(j);
	assert_non_null(event);
	out = mem_arena_strdup(w.arena, event);
	free(event);
	return out;
}

static const char *
signature_of(const char *body)
{
	unsigned char mac[crypto_auth_hmacsha512_BYTES];
	crypto_auth_hmacsha512_state st;
	char *hex = mem_arena_alloc(w.arena, sizeof(mac) * 2 + 1);

	crypto_auth_hmacsha512_init(&st, (const unsigned char *)SECRET_KEY, strlen(SECRET_KEY));
	crypto_auth_hmacsha512_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha512_final(&st, mac);
	return sodium_bin2hex(hex, sizeof(mac) * 2 + 1, mac, sizeof(mac));
}

/* Delivers a signed webhook as the gateway does; it must be taken. */
static void
deliver(const char *body)
{
	Kolo__Payments__V1__HandleWebhookRequest req =
		KOLO__PAYMENTS__V1__HANDLE_WEBHOOK_REQUEST__INIT;
	Kolo__Payments__V1__Header sig = KOLO__PAYMENTS__V1__HEADER__INIT;
	Kolo__Payments__V1__Header *headers[] = {&sig};
	Kolo__Payments__V1__HandleWebhookResponse *resp = NULL;

	sig.name = "x-paystack-signature";
	sig.value = (char *)signature_of(body);
	req.provider = "paystack";
	req.raw_body.data = (uint8_t *)body;
	req.raw_body.len = strlen(body);
	req.headers = headers;
	req.n_headers = 1;
	assert_int_equal(test_world_call(&w, &w.payments, "HandleWebhook", &req, &resp, NULL), 0);
}

/* identity's worker pass, on this thread, as kolo-identity. */
static void
identity_pass(void)
{
	db_thread_close();
	db_thread_set_conninfo(w.identity.conninfo);
	svc_calls_thread_caller("identity", test_caller_token("identity"));
	idn_kyc_worker_pass();
	svc_calls_thread_caller(NULL, NULL);
	db_thread_close();
	db_thread_set_conninfo(w.payments_conninfo);
}

static void
assert_sent_contains(const char *path, const char *needle)
{
	char *sent = test_fake_flw_last_body(path);

	assert_non_null(sent);
	assert_non_null(strstr(sent, needle));
	free(sent);
}

/* --- verified: the webhook triggers, the read-back decides ---------------- */

static void
test_paystack_kyc_pending_then_verified_by_read_back(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12], path[128];
	const char *code, *success;
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "Adaeze");
	number_ending(number, "456");
	test_fake_flw_mode("identification", "id_hold", 1);
	assert_int_equal(submit(&u, number, &k), 0);
	assert_string_equal(k->status, "pending");
	assert_string_equal(k->consent_url, "");
	code = customer_of(&u);
	snprintf(path, sizeof(path), "/customer/%s/identification", code);
	assert_sent_contains(path, number);
	assert_sent_contains(path, "\"account_number\":\"" ACCOUNT "\"");
	assert_sent_contains(path, "\"bank_code\":\"" BANK_CODE "\"");
	assert_sent_contains(path, "\"type\":\"bank_account\"");
	/* The customer is the user's own, named after them. */
	assert_sent_contains("/customer", "kyc-");
	assert_sent_contains("/customer", u.id);
	/* Not validated yet: still pending after a read-back. */
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	/* A success webhook the read-back does not confirm (early, or not
	 * Paystack's word) changes nothing. */
	deliver(mem_arena_printf(w.arena,
				 "{\"event\":\"customeridentification.success\",\"data\":{"
				 "\"customer_code\":\"%s\",\"identification\":{\"country\":"
				 "\"NG\",\"type\":\"bank_account\"}}}",
				 code));
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	/* Validated: the webhook, delivered twice, and a read-back 5xx. */
	success = settle(code, "success");
	deliver(success);
	deliver(success);
	test_fake_flw_mode("customer", "fail500", 1);
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	assert_int_equal(
		test_pg_long(w.admin,
			     mem_arena_printf(w.arena,
					      "SELECT count(*) FROM user_kyc WHERE user_id = '%s'"
					      " AND verified_name IS NOT NULL",
					      u.id)),
		0);
	identity_pass();
	k = get_kyc(&u);
	assert_string_equal(k->status, "verified");
	assert_true(k->verified_at[0] != '\0');
	assert_string_equal(k->last3, "456");
	/* The name Paystack validated is kept (groups holds payer accounts
	 * to it). */
	assert_int_equal(
		test_pg_long(w.admin,
			     mem_arena_printf(w.arena,
					      "SELECT count(*) FROM user_kyc WHERE user_id = '%s'"
					      " AND verified_name = 'User Adaeze'",
					      u.id)),
		1);
	assert_int_equal(activity(&u, "kyc_verified"), 1);
	/* The webhooks are stored, acknowledged, and credit nothing. */
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM webhook_event WHERE event_type"
					       " = 'customeridentification.success' AND processed"),
			 3);
}

/* --- refused: only the webhook says so ----------------------------------- */

static void
test_paystack_kyc_refused_by_webhook_keeps_no_number(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12], sql[256];
	const char *code, *failed;
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "Refused");
	number_ending(number, "457");
	test_fake_flw_mode("identification", "id_failed", 1);
	assert_int_equal(submit(&u, number, &k), 0);
	assert_string_equal(k->status, "pending");
	code = customer_of(&u);
	/* No webhook yet: the read-back alone cannot tell a refusal. */
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	failed = settle(code, NULL);
	assert_non_null(strstr(failed, "customeridentification.failed"));
	deliver(failed);
	deliver(failed); /* a duplicate */
	identity_pass();
	k = get_kyc(&u);
	assert_string_equal(k->status, "failed");
	assert_string_equal(k->reason, "kyc_rejected");
	assert_int_equal(activity(&u, "kyc_failed"), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_kyc WHERE user_id = '%s'"
		 " AND id_cipher IS NULL",
		 u.id);
	assert_int_equal(test_pg_long(w.admin, sql), 1);

	/* The refusal of that check does not fail the next one: the same
	 * customer validates again and this time succeeds, though the old
	 * refusal is delivered once more, out of order, in between. */
	number_ending(number, "458");
	test_fake_flw_mode("identification", "id_hold", 1);
	assert_int_equal(submit(&u, number, &k), 0);
	assert_string_equal(k->status, "pending");
	assert_string_equal(customer_of(&u), code);
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	deliver(settle(code, "success"));
	deliver(failed);
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "verified");
}

static void
test_paystack_kyc_late_refusal_after_verification(void **state)
{
	char number[12];
	const char *code;
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "Late");
	number_ending(number, "459");
	assert_int_equal(submit(&u, number, NULL), 0);
	code = customer_of(&u);
	/* Out of order: a refusal arrives before the success; the customer
	 * is identified, which is what counts. */
	deliver(mem_arena_printf(w.arena,
				 "{\"event\":\"customeridentification.failed\",\"data\":{"
				 "\"customer_code\":\"%s\",\"reason\":\"Account number or BVN"
				 " is incorrect\"}}",
				 code));
	deliver(settle(code, NULL));
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "verified");
}

static void
test_paystack_kyc_names_another_person(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12];
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "Mismatch");
	number_ending(number, "654");
	test_fake_flw_mode("identification", "name_mismatch", 1);
	assert_int_equal(submit(&u, number, &k), 0);
	assert_string_equal(k->status, "pending");
	deliver(settle(customer_of(&u), NULL));
	identity_pass();
	k = get_kyc(&u);
	assert_string_equal(k->status, "failed");
	assert_string_equal(k->reason, "kyc_name_mismatch");
	assert_int_equal(test_pg_long(w.admin,
				      "SELECT count(*) FROM user_kyc"
				      " WHERE status = 'failed' AND id_cipher IS NOT NULL"),
			 0);
}

/* --- refusals at the start: nothing stored -------------------------------- */

static void
test_paystack_kyc_input_5xx_and_timeout_store_nothing(void **state)
{
	char number[12];
	json_int_t customers = test_fake_flw_requests("/customer");
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "Outage");
	number_ending(number, "789");
	/* Paystack validates a BVN against the person's bank account. */
	assert_int_equal(submit_with(&u, "bvn", number, NULL, NULL, NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bank_account_required");
	assert_int_equal(submit_with(&u, "bvn", number, BANK_CODE, "12345", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_account_number");
	assert_int_equal(submit_with(&u, "bvn", number, "", ACCOUNT, NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bank_account_incomplete");
	assert_int_equal(submit_with(&u, "nin", number, BANK_CODE, ACCOUNT, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_type_unsupported");
	assert_int_equal(test_fake_flw_requests("/customer"), customers);
	/* 5xx and a timeout, at the customer and at the validation. */
	test_fake_flw_mode("customer", "fail500", 1);
	assert_int_equal(submit(&u, number, NULL), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "provider_unavailable");
	test_fake_flw_mode("identification", "fail500", 1);
	assert_int_equal(submit(&u, number, NULL), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "provider_unavailable");
	test_fake_flw_mode("identification", "slow:2500", 1);
	assert_int_equal(submit(&u, number, NULL), ERR_DEADLINE_EXCEEDED);
	assert_int_equal(kyc_rows(&u), 0);
	/* And then it goes through. */
	assert_int_equal(submit(&u, number, NULL), 0);
	assert_int_equal(kyc_rows(&u), 1);
}

/* --- live accounts ----------------------------------------------------------
 */

static Kolo__Payments__V1__Account *
get_account(const char *group_id, const test_user *as)
{
	Kolo__Payments__V1__GetAccountRequest req = KOLO__PAYMENTS__V1__GET_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__GetAccountResponse *resp = NULL;

	req.group_id = (char *)group_id;
	assert_int_equal(test_world_call(&w, &w.payments, "GetAccount", &req, &resp, as), 0);
	return resp->account;
}

static void
test_live_paystack_account_waits_for_kyc_then_opens(void **state)
{
	Kolo__Payments__V1__Account *a;
	char group[64], number[12], sql[256];
	test_user owner;

	(void)state;
	use_paystack(1);
	test_identity_user(&w.identity, &owner, "Holder");
	test_world_group(&w, &owner, "Live Paystack Savings", group);
	a = get_account(group, &owner);
	assert_int_equal(a->status, NEEDS_KYC);
	assert_string_equal(a->reason, "kyc_required");

	number_ending(number, "246");
	test_fake_flw_mode("identification", "id_hold", 1);
	assert_int_equal(submit(&owner, number, NULL), 0);
	pay_worker_pass();
	a = get_account(group, &owner);
	assert_int_equal(a->status, NEEDS_KYC);
	assert_string_equal(a->reason, "kyc_pending");

	deliver(settle(customer_of(&owner), "success"));
	identity_pass();
	pay_worker_pass(); /* by itself: nobody asks for the account */
	a = get_account(group, &owner);
	assert_int_equal(a->status, ACTIVE);
	assert_int_equal(strlen(a->virtual_account_number), 10);
	assert_int_equal(activity(&owner, "kyc_number_read"), 1);
	assert_int_equal(activity(&owner, "kyc_number_erased"), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_kyc WHERE user_id = '%s' AND "
		 "status = 'verified' AND id_cipher IS NULL",
		 owner.id);
	assert_int_equal(test_pg_long(w.admin, sql), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_paystack_kyc_pending_then_verified_by_read_back, reset,
			check_invariant),
		cmocka_unit_test_setup_teardown(
			test_paystack_kyc_refused_by_webhook_keeps_no_number, reset,
			check_invariant),
		cmocka_unit_test_setup_teardown(test_paystack_kyc_late_refusal_after_verification,
						reset, check_invariant),
		cmocka_unit_test_setup_teardown(test_paystack_kyc_names_another_person, reset,
						check_invariant),
		cmocka_unit_test_setup_teardown(
			test_paystack_kyc_input_5xx_and_timeout_store_nothing, reset,
			check_invariant),
		cmocka_unit_test_setup_teardown(test_live_paystack_account_waits_for_kyc_then_opens,
						reset, check_invariant),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
