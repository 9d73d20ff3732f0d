/* KYC (DESIGN §14) over real gRPC against PostgreSQL: identity seals the
 * number and asks payments, which asks the provider — the demo provider
 * (decided at once) and the Flutterwave fake (BVN consent, read back by
 * identity's worker); refusals, timeouts and 5xx; and live accounts that
 * wait for a KYC-verified OWNER, then open by themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "handlers.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kyc.h"
#include "payments.h"
#include "provider.h"
#include "rotate.h"
#include "svc/call.h"
#include "test_fake_flw.h"
#include "test_world.h"

#define PII_KEY                                                                \
	"k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HASH_KEY                                                               \
	"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f"
#define NEW_KEY	  "k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define NEEDS_KYC KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_NEEDS_KYC
#define ACTIVE	  KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE

static test_world w;
static int started;
static int next_number = 1000;

static void use_flutterwave(int live)
{
	pay_flutterwave_config cfg = {.secret_key = TEST_FAKE_FLW_SECRET_KEY,
				      .secret_hash = "h",
				      .timeout_ms = 500,
				      .base_url = test_fake_flw_url()};
	pay_provider *p = NULL;
	pay_deps deps;

	assert_int_equal(pay_flutterwave_new(&p, &cfg), 0);
	test_world_provider(&w, p);
	deps = *pay_current();
	deps.identity = w.to_identity;
	deps.accounts_need_kyc = live;
	pay_configure(&deps);
}

static void use_demo(void)
{
	pay_provider *p = NULL;

	assert_int_equal(pay_demo_new(&p), 0);
	test_world_provider(&w, p);
}

static int setup(void **state)
{
	idn_kyc_deps deps = {
		.enabled = 1, .poll_interval_ms = 1000, .poll_batch = 32};

	(void)state;
	if (test_fake_flw_start() < 0 || test_world_start(&w) < 0)
		return -1;
	started = 1;
	if (idn_pii_keyring_parse(&deps.keys, PII_KEY, "", HASH_KEY) < 0)
		return -1;
	deps.payments = w.to_payments;
	idn_kyc_configure(&deps);
	idn_pii_keyring_wipe(&deps.keys);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	idn_kyc_unconfigure();
	if (started)
		test_world_stop(&w);
	test_fake_flw_stop();
	return 0;
}

static int reset(void **state)
{
	(void)state;
	test_fake_flw_control("reset", "{}");
	use_demo();
	return 0;
}

/* A fresh 11-digit number ending in tail (3 digits). */
static void number_ending(char out[12], const char *tail)
{
	snprintf(out, 12, "70%06d%s", next_number++, tail);
}

static int submit(const test_user *u, const char *type, const char *number,
		  Kolo__Identity__V1__Kyc **out)
{
	Kolo__Identity__V1__SubmitKycRequest req =
		KOLO__IDENTITY__V1__SUBMIT_KYC_REQUEST__INIT;
	Kolo__Identity__V1__SubmitKycResponse *resp = NULL;
	char copy[32];
	int rc;

	snprintf(copy, sizeof(copy), "%s", number);
	req.id_type = (char *)type;
	req.id_number = copy;
	rc = test_world_call(&w, &w.identity.service, "SubmitKyc", &req, &resp,
			     u);
	if (out)
		*out = rc == 0 ? resp->kyc : NULL;
	return rc;
}

static Kolo__Identity__V1__Kyc *get_kyc(const test_user *u)
{
	Kolo__Identity__V1__GetKycRequest req =
		KOLO__IDENTITY__V1__GET_KYC_REQUEST__INIT;
	Kolo__Identity__V1__GetKycResponse *resp = NULL;

	assert_int_equal(test_world_call(&w, &w.identity.service, "GetKyc",
					 &req, &resp, u),
			 0);
	return resp->kyc;
}

static long kyc_rows(const test_user *u)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_kyc WHERE user_id = '%s'", u->id);
	return test_pg_long(w.admin, sql);
}

/* No column of user_kyc holds the number in the clear. */
static void assert_not_in_clear(const char *number)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_kyc k WHERE k::text LIKE '%%%s%%'"
		 " OR position(convert_to('%s', 'UTF8') in "
		 "coalesce(k.id_cipher, ''::bytea)) > 0",
		 number, number);
	assert_int_equal(test_pg_long(w.admin, sql), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_activity_log l WHERE l::text LIKE "
		 "'%%%s%%'",
		 number);
	assert_int_equal(test_pg_long(w.admin, sql), 0);
}

static long activity(const test_user *u, const char *event)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_activity_log WHERE user_id = '%s' "
		 "AND event = '%s'",
		 u->id, event);
	return test_pg_long(w.admin, sql);
}

/* identity's worker pass, on this thread, as kolo-identity. */
static void identity_pass(void)
{
	db_thread_close();
	db_thread_set_conninfo(w.identity.conninfo);
	svc_calls_thread_caller("identity", test_caller_token("identity"));
	idn_kyc_worker_pass();
	svc_calls_thread_caller(NULL, NULL);
	db_thread_close();
	db_thread_set_conninfo(w.payments_conninfo);
}

/* --- input -------------------------------------------------------------------
 */

static void test_kyc_refuses_a_number_that_is_not_11_digits(void **state)
{
	static const char *const bad[] = {"1234567890", "123456789012",
					  "1234567890a", ""};
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "input");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(submit(&u, "bvn", bad[i], NULL),
				 ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "invalid_id_number");
	}
	assert_int_equal(submit(&u, "passport", "12345678901", NULL),
			 ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_id_type");
	assert_int_equal(kyc_rows(&u), 0);
	assert_string_equal(get_kyc(&u)->status, "none");
}

/* --- the demo provider
 * --------------------------------------------------------- */

static void test_kyc_demo_verifies_at_once_and_seals_the_number(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12];
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "demo");
	number_ending(number, "123");
	assert_int_equal(submit(&u, "nin", number, &k), 0);
	assert_string_equal(k->status, "verified");
	assert_string_equal(k->id_type, "nin");
	assert_string_equal(k->last3, "123");
	assert_true(k->verified_at[0] != '\0');
	k = get_kyc(&u);
	assert_string_equal(k->status, "verified");
	assert_string_equal(k->last3, "123");
	assert_not_in_clear(number);
	assert_int_equal(activity(&u, "kyc_submitted"), 1);
	assert_int_equal(activity(&u, "kyc_verified"), 1);
	/* A verified account does not switch to another number. */
	number_ending(number, "124");
	assert_int_equal(submit(&u, "nin", number, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_already_verified");
	assert_string_equal(get_kyc(&u)->last3, "123");
}

static void test_kyc_demo_refusals_store_nothing(void **state)
{
	char refused[12], other[12];
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "refused");
	number_ending(refused, "000");
	number_ending(other, "999");
	assert_int_equal(submit(&u, "bvn", refused, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_rejected");
	assert_int_equal(submit(&u, "bvn", other, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_name_mismatch");
	assert_int_equal(kyc_rows(&u), 0);
}

static void test_kyc_number_verified_for_another_user_is_in_use(void **state)
{
	char number[12];
	test_user a, b;

	(void)state;
	test_identity_user(&w.identity, &a, "first");
	test_identity_user(&w.identity, &b, "second");
	number_ending(number, "321");
	assert_int_equal(submit(&a, "bvn", number, NULL), 0);
	assert_int_equal(submit(&b, "bvn", number, NULL), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "kyc_id_in_use");
	assert_int_equal(kyc_rows(&b), 0);
	/* The same user again is no conflict. */
	assert_int_equal(submit(&a, "bvn", number, NULL), 0);
}

/* --- Flutterwave: BVN consent, read back by the worker
 * ------------------------- */

static void test_kyc_flutterwave_consent_then_verified(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12], body[256];
	char *sent;
	test_user u;

	(void)state;
	use_flutterwave(0);
	test_identity_user(&w.identity, &u, "consent");
	number_ending(number, "456");
	assert_int_equal(submit(&u, "bvn", number, &k), 0);
	assert_string_equal(k->status, "pending");
	assert_non_null(
		strstr(k->consent_url, "https://consent.flutterwave.test/"));
	sent = test_fake_flw_last_body("/v3/bvn/verifications");
	assert_non_null(strstr(sent, number));
	free(sent);
	assert_not_in_clear(number);
	/* No consent yet: still pending after a read-back. */
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	/* A 5xx on read-back leaves it pending. */
	snprintf(body, sizeof(body),
		 "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	test_fake_flw_mode("bvn", "fail500", 1);
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	identity_pass();
	k = get_kyc(&u);
	assert_string_equal(k->status, "verified");
	assert_string_equal(k->consent_url, "");
	assert_int_equal(activity(&u, "kyc_verified"), 1);
}

static void test_kyc_flutterwave_names_another_person(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12], body[256];
	test_user u;

	(void)state;
	use_flutterwave(0);
	test_identity_user(&w.identity, &u, "mismatch");
	number_ending(number, "654");
	snprintf(body, sizeof(body),
		 "{\"bvn\":\"%s\",\"first_name\":\"Chidi\",\"last_name\":"
		 "\"Okafor\"}",
		 number);
	test_fake_flw_control("bvn", body);
	assert_int_equal(submit(&u, "bvn", number, &k), 0);
	snprintf(body, sizeof(body),
		 "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	identity_pass();
	k = get_kyc(&u);
	assert_string_equal(k->status, "failed");
	assert_string_equal(k->reason, "kyc_name_mismatch");
	/* A failed check keeps no number. */
	assert_int_equal(
		test_pg_long(
			w.admin,
			"SELECT count(*) FROM user_kyc"
			" WHERE status = 'failed' AND id_cipher IS NOT NULL"),
		0);
}

static void test_kyc_flutterwave_5xx_and_timeout_store_nothing(void **state)
{
	char number[12];
	test_user u;

	(void)state;
	use_flutterwave(0);
	test_identity_user(&w.identity, &u, "outage");
	number_ending(number, "789");
	test_fake_flw_mode("bvn", "fail500", 1);
	assert_int_equal(submit(&u, "bvn", number, NULL), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "provider_unavailable");
	test_fake_flw_mode("bvn", "slow:2500", 1);
	assert_int_equal(submit(&u, "bvn", number, NULL),
			 ERR_DEADLINE_EXCEEDED);
	assert_int_equal(kyc_rows(&u), 0);
	/* Flutterwave checks BVNs only. */
	assert_int_equal(submit(&u, "nin", number, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_type_unsupported");
}

/* --- key rotation
 * ------------------------------------------------------------------ */

static void configure_keys(const char *current, const char *old)
{
	idn_kyc_deps deps = *idn_kyc_current();

	assert_int_equal(
		idn_pii_keyring_parse(&deps.keys, current, old, HASH_KEY), 0);
	idn_kyc_configure(&deps);
	idn_pii_keyring_wipe(&deps.keys);
}

static const char *read_number(const test_user *u)
{
	Kolo__Identity__V1__ReadKycNumberRequest req =
		KOLO__IDENTITY__V1__READ_KYC_NUMBER_REQUEST__INIT;
	Kolo__Identity__V1__ReadKycNumberResponse *resp = NULL;

	req.user_id = (char *)u->id;
	req.purpose = "test";
	assert_int_equal(test_world_call(&w, &w.identity.service,
					 "ReadKycNumber", &req, &resp, NULL),
			 0);
	return resp->id_number;
}

static void test_kyc_rotation_reseals_under_the_new_key(void **state)
{
	char number[12], sql[256];
	char *kid;
	db_conn *c = NULL;
	long resealed = 0;
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "rotate");
	number_ending(number, "135");
	assert_int_equal(submit(&u, "bvn", number, NULL), 0);
	/* The new key seals, the old one still opens. */
	configure_keys(NEW_KEY, PII_KEY);
	assert_string_equal(read_number(&u), number);
	assert_int_equal(db_connect(&c, w.identity.conninfo), 0);
	assert_int_equal(idn_pii_rotate(c, &idn_kyc_current()->keys, &resealed),
			 0);
	assert_true(resealed >= 1);
	snprintf(sql, sizeof(sql),
		 "SELECT key_id FROM user_kyc WHERE user_id = '%s'", u.id);
	kid = test_pg_value(w.admin, sql);
	assert_string_equal(kid, "k2");
	free(kid);
	assert_int_equal(
		test_pg_long(w.admin,
			     "SELECT count(*) FROM user_kyc"
			     " WHERE key_id IS NOT NULL AND key_id <> 'k2'"),
		0);
	/* Without the old key every number still opens. */
	configure_keys(NEW_KEY, "");
	assert_string_equal(read_number(&u), number);
	assert_int_equal(idn_pii_rotate(c, &idn_kyc_current()->keys, &resealed),
			 0);
	assert_int_equal(resealed, 0);
	db_close(c);
	assert_int_equal(activity(&u, "kyc_number_read"), 2);
	configure_keys(PII_KEY, NEW_KEY);
}

/* --- live accounts
 * ---------------------------------------------------------------- */

static Kolo__Payments__V1__Account *get_account(const char *group_id,
						const test_user *as)
{
	Kolo__Payments__V1__GetAccountRequest req =
		KOLO__PAYMENTS__V1__GET_ACCOUNT_REQUEST__INIT;
	Kolo__Payments__V1__GetAccountResponse *resp = NULL;

	req.group_id = (char *)group_id;
	assert_int_equal(
		test_world_call(&w, &w.payments, "GetAccount", &req, &resp, as),
		0);
	return resp->account;
}

static void test_live_account_waits_for_kyc_then_opens_by_itself(void **state)
{
	Kolo__Payments__V1__Account *a;
	Kolo__Identity__V1__Kyc *k = NULL;
	char group[64], number[12], body[256], sql[256];
	char *sent;
	test_user owner;

	(void)state;
	use_flutterwave(1);
	test_identity_user(&w.identity, &owner, "holder");
	test_world_group(&w, &owner, "Live Savings", group);
	a = get_account(group, &owner);
	assert_int_equal(a->status, NEEDS_KYC);
	assert_string_equal(a->reason, "kyc_required");
	assert_int_equal(test_fake_flw_requests("/v3/virtual-account-numbers"),
			 0);

	number_ending(number, "246");
	assert_int_equal(submit(&owner, "bvn", number, &k), 0);
	pay_worker_pass();
	a = get_account(group, &owner);
	assert_int_equal(a->status, NEEDS_KYC);
	assert_string_equal(a->reason, "kyc_pending");

	snprintf(body, sizeof(body),
		 "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	identity_pass();
	pay_worker_pass(); /* by itself: nobody asks for the account */
	assert_int_equal(test_fake_flw_requests("/v3/virtual-account-numbers"),
			 1);
	sent = test_fake_flw_last_body("/v3/virtual-account-numbers");
	assert_non_null(strstr(sent, number));
	free(sent);
	a = get_account(group, &owner);
	assert_int_equal(a->status, ACTIVE);
	/* Read once, logged; erased once no account waits for it. */
	assert_int_equal(activity(&owner, "kyc_number_read"), 1);
	assert_int_equal(activity(&owner, "kyc_number_erased"), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM user_kyc WHERE user_id = '%s' AND "
		 "status = 'verified'"
		 " AND id_cipher IS NULL AND erased_at IS NOT NULL",
		 owner.id);
	assert_int_equal(test_pg_long(w.admin, sql), 1);
	assert_not_in_clear(number);
}

static void test_demo_accounts_open_without_kyc(void **state)
{
	char group[64];
	test_user owner;

	(void)state;
	test_identity_user(&w.identity, &owner, "demoowner");
	test_world_group(&w, &owner, "Demo Savings", group);
	assert_int_equal(get_account(group, &owner)->status, ACTIVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			test_kyc_refuses_a_number_that_is_not_11_digits, reset),
		cmocka_unit_test_setup(
			test_kyc_demo_verifies_at_once_and_seals_the_number,
			reset),
		cmocka_unit_test_setup(test_kyc_demo_refusals_store_nothing,
				       reset),
		cmocka_unit_test_setup(
			test_kyc_number_verified_for_another_user_is_in_use,
			reset),
		cmocka_unit_test_setup(
			test_kyc_flutterwave_consent_then_verified, reset),
		cmocka_unit_test_setup(
			test_kyc_flutterwave_names_another_person, reset),
		cmocka_unit_test_setup(
			test_kyc_flutterwave_5xx_and_timeout_store_nothing,
			reset),
		cmocka_unit_test_setup(
			test_kyc_rotation_reseals_under_the_new_key, reset),
		cmocka_unit_test_setup(
			test_live_account_waits_for_kyc_then_opens_by_itself,
			reset),
		cmocka_unit_test_setup(test_demo_accounts_open_without_kyc,
				       reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
