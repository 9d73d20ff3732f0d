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

#define PII_KEY	  "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HASH_KEY  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f"
#define NEW_KEY	  "k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define NEEDS_KYC KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_NEEDS_KYC
#define ACTIVE	  KOLO__COMMON__V1__ACCOUNT_STATUS__ACCOUNT_STATUS_ACTIVE

static test_world w;
static int started;
static int next_number = 1000;

static void
use_flutterwave(int live)
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

static void
use_demo(void)
{
	pay_provider *p = NULL;

	assert_int_equal(pay_demo_new(&p), 0);
	test_world_provider(&w, p);
}

static int
setup(void **state)
{
	idn_kyc_deps deps = {.enabled = 1, .poll_interval_ms = 1000, .poll_batch = 32};

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
	(void)state;
	test_fake_flw_control("reset", "{}");
	use_demo();
	return 0;
}

/* A fresh 11-digit number ending in tail (3 digits). */
static void
number_ending(char out[12], const char *tail)
{
	snprintf(out, 12, "70%06d%s", next_number++, tail);
}

static int
submit(const test_user *u, const char *type, const char *number, Kolo__Identity__V1__Kyc **out)
{
	Kolo__Identity__V1__SubmitKycRequest req = KOLO__IDENTITY__V1__SUBMIT_KYC_REQUEST__INIT;
	Kolo__Identity__V1__SubmitKycResponse *resp = NULL;
	char copy[32];
	int rc;

	snprintf(copy, sizeof(copy), "%s", number);
	req.id_type = (char *)type;
	req.id_number = copy;
	rc = test_world_call(&w, &w.identity.service, "SubmitKyc", &req, &resp, u);
	if (out)
		*out = rc == 0 ? resp->kyc : NULL;
	return rc;
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

/* No column of user_kyc holds the number in the clear. */
static void
assert_not_in_clear(const char *number)
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

/* kyc.result events of u in identity's outbox (DESIGN §16), and a field
 * of the newest one (what: SQL on the row, e.g. "data->>'status'"). */
static long
kyc_events(const test_user *u)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM identity_outbox WHERE type = 'kyc.result'"
		 " AND user_id = '%s'",
		 u->id);
	return test_pg_long(w.admin, sql);
}

static void
assert_kyc_event(const test_user *u, const char *what, const char *expected)
{
	char sql[320], *got;

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(%s, '') FROM identity_outbox WHERE type ="
		 " 'kyc.result' AND user_id = '%s' ORDER BY seq DESC LIMIT 1",
		 what, u->id);
	got = test_pg_value(w.admin, sql);
	assert_string_equal(got, expected);
	free(got);
}

/* GetUser's kyc_verified for u, as groups asks it (the service token). */
static int
user_kyc_verified(const test_user *u)
{
	Kolo__Identity__V1__GetUserRequest req = KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *resp = NULL;

	req.user_id = (char *)u->id;
	assert_int_equal(test_world_call(&w, &w.identity.service, "GetUser", &req, &resp, NULL), 0);
	return resp->user->kyc_verified;
}

/* GetUser's kyc_name for u (the service token), compared with expected;
 * and the user's own GetMe never carries it. */
static void
assert_kyc_name(const test_user *u, const char *expected)
{
	Kolo__Identity__V1__GetUserRequest req = KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *resp = NULL;
	Kolo__Identity__V1__GetMeRequest me = KOLO__IDENTITY__V1__GET_ME_REQUEST__INIT;
	Kolo__Identity__V1__GetMeResponse *mine = NULL;

	req.user_id = (char *)u->id;
	assert_int_equal(test_world_call(&w, &w.identity.service, "GetUser", &req, &resp, NULL), 0);
	assert_string_equal(resp->user->kyc_name, expected);
	assert_int_equal(test_world_call(&w, &w.identity.service, "GetMe", &me, &mine, u), 0);
	assert_string_equal(mine->user->kyc_name, "");
}

/* user_kyc.verified_name of u, "(null)" for NULL. */
static void
assert_stored_name(const test_user *u, const char *expected)
{
	char sql[256], *got;

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(verified_name, '(null)') FROM user_kyc"
		 " WHERE user_id = '%s'",
		 u->id);
	got = test_pg_value(w.admin, sql);
	assert_string_equal(got, expected);
	free(got);
}

static void
rename_user(const test_user *u, const char *name)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "UPDATE \"user\" SET name = '%s' WHERE id = '%s'", name, u->id);
	test_pg_ok(w.admin, sql);
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

/* --- input -------------------------------------------------------------------
 */

static void
test_kyc_refuses_a_number_that_is_not_11_digits(void **state)
{
	static const char *const bad[] = {"1234567890", "123456789012", "1234567890a", ""};
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "input");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(submit(&u, "bvn", bad[i], NULL), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, "invalid_id_number");
	}
	assert_int_equal(submit(&u, "passport", "12345678901", NULL), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "invalid_id_type");
	assert_int_equal(kyc_rows(&u), 0);
	assert_string_equal(get_kyc(&u)->status, "none");
}

/* --- the demo provider
 * --------------------------------------------------------- */

static void
test_kyc_demo_verifies_at_once_and_seals_the_number(void **state)
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
	/* The demo provider names the holder as the user's name. */
	assert_stored_name(&u, "User demo");
	assert_kyc_name(&u, "User demo");
	assert_int_equal(activity(&u, "kyc_submitted"), 1);
	assert_int_equal(activity(&u, "kyc_verified"), 1);
	/* Told once, to the user, without the number. */
	assert_int_equal(kyc_events(&u), 1);
	assert_kyc_event(&u, "data->>'status'", "verified");
	assert_kyc_event(&u, "data->>'id_type'", "nin");
	assert_kyc_event(&u, "coalesce(group_id::text, 'none')", "none");
	{
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM identity_outbox WHERE data::text"
			 " LIKE '%%%s%%'",
			 number);
		assert_int_equal(test_pg_long(w.admin, sql), 0);
	}
	/* A verified account does not switch to another number. */
	number_ending(number, "124");
	assert_int_equal(submit(&u, "nin", number, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_already_verified");
	assert_string_equal(get_kyc(&u)->last3, "123");
	assert_int_equal(kyc_events(&u), 1);
	assert_stored_name(&u, "User demo");
}

/* A check verified before the provider's name was kept (0034) has none:
 * GetUser gives no kyc_name, and submitting the same number again asks
 * the provider (not the old verified check) so the name is stored. */
static void
test_kyc_verified_without_a_name_asks_the_provider_again(void **state)
{
	char number[12], sql[256];
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "old-check");
	number_ending(number, "131");
	assert_int_equal(submit(&u, "bvn", number, NULL), 0);
	snprintf(sql, sizeof(sql), "UPDATE user_kyc SET verified_name = NULL WHERE user_id = '%s'",
		 u.id);
	test_pg_ok(w.admin, sql);
	assert_true(user_kyc_verified(&u));
	assert_kyc_name(&u, "");
	assert_int_equal(submit(&u, "bvn", number, NULL), 0);
	assert_stored_name(&u, "User old-check");
	assert_kyc_name(&u, "User old-check");
	assert_string_equal(get_kyc(&u)->status, "verified");
}

static void
test_kyc_demo_refusals_store_nothing(void **state)
{
	char refused[12], other[12];
	test_user u;

	(void)state;
	test_identity_user(&w.identity, &u, "refused");
	number_ending(refused, "000");
	number_ending(other, "999");
	assert_int_equal(submit(&u, "bvn", refused, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_rejected");
	assert_int_equal(submit(&u, "bvn", other, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_name_mismatch");
	assert_int_equal(kyc_rows(&u), 0);
	assert_int_equal(kyc_events(&u), 0);
}

static void
test_kyc_number_verified_for_another_user_is_in_use(void **state)
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

static void
test_kyc_flutterwave_consent_then_verified(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12], body[256];
	char *sent;
	test_user u;

	(void)state;
	use_flutterwave(0);
	test_identity_user(&w.identity, &u, "consent");
	number_ending(number, "456");
	assert_false(user_kyc_verified(&u));
	assert_int_equal(submit(&u, "bvn", number, &k), 0);
	assert_string_equal(k->status, "pending");
	assert_false(user_kyc_verified(&u));
	assert_int_equal(kyc_events(&u), 0);
	assert_non_null(strstr(k->consent_url, "https://consent.flutterwave.test/"));
	sent = test_fake_flw_last_body("/v3/bvn/verifications");
	assert_non_null(strstr(sent, number));
	free(sent);
	assert_not_in_clear(number);
	/* No consent yet: still pending after a read-back. */
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	/* A 5xx on read-back leaves it pending. */
	snprintf(body, sizeof(body), "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	test_fake_flw_mode("bvn", "fail500", 1);
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "pending");
	identity_pass();
	k = get_kyc(&u);
	assert_string_equal(k->status, "verified");
	assert_string_equal(k->consent_url, "");
	/* What groups reads before trusting the user's name (payer accounts). */
	assert_true(user_kyc_verified(&u));
	assert_int_equal(activity(&u, "kyc_verified"), 1);
	assert_int_equal(kyc_events(&u), 1);
	assert_kyc_event(&u, "data->>'status'", "verified");
	assert_kyc_event(&u, "data->>'id_type'", "bvn");
	identity_pass();
	assert_int_equal(kyc_events(&u), 1);
}

/* The user's name is free text; the provider's is what the check proved.
 * A padded name passes the check (the provider's words are a subset of
 * it), and identity keeps the provider's name, never the padded one. */
static void
test_kyc_keeps_the_providers_name_not_the_users(void **state)
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char number[12], body[256];
	test_user u;

	(void)state;
	use_flutterwave(0);
	test_identity_user(&w.identity, &u, "padded");
	rename_user(&u, "Adebayo Okafor Chinedu Eze");
	number_ending(number, "777");
	snprintf(body, sizeof(body),
		 "{\"bvn\":\"%s\",\"first_name\":\"ADEBAYO\",\"last_name\":"
		 "\"OKAFOR\"}",
		 number);
	test_fake_flw_control("bvn", body);
	assert_int_equal(submit(&u, "bvn", number, &k), 0);
	/* Pending: no name yet. */
	assert_stored_name(&u, "(null)");
	assert_kyc_name(&u, "");
	snprintf(body, sizeof(body), "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	identity_pass();
	assert_string_equal(get_kyc(&u)->status, "verified");
	assert_stored_name(&u, "ADEBAYO OKAFOR");
	assert_kyc_name(&u, "ADEBAYO OKAFOR");
}

static void
test_kyc_flutterwave_names_another_person(void **state)
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
	snprintf(body, sizeof(body), "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	identity_pass();
	k = get_kyc(&u);
	assert_string_equal(k->status, "failed");
	assert_string_equal(k->reason, "kyc_name_mismatch");
	assert_false(user_kyc_verified(&u));
	/* A failed check keeps no name either. */
	assert_stored_name(&u, "(null)");
	assert_kyc_name(&u, "");
	assert_int_equal(kyc_events(&u), 1);
	assert_kyc_event(&u, "data->>'status'", "failed");
	assert_kyc_event(&u, "data->>'reason'", "kyc_name_mismatch");
	/* A failed check keeps no number. */
	assert_int_equal(test_pg_long(w.admin,
				      "SELECT count(*) FROM user_kyc"
				      " WHERE status = 'failed' AND id_cipher IS NOT NULL"),
			 0);
}

static void
test_kyc_flutterwave_5xx_and_timeout_store_nothing(void **state)
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
	assert_int_equal(submit(&u, "bvn", number, NULL), ERR_DEADLINE_EXCEEDED);
	assert_int_equal(kyc_rows(&u), 0);
	/* Flutterwave checks BVNs only. */
	assert_int_equal(submit(&u, "nin", number, NULL), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_type_unsupported");
}

/* --- key rotation
 * ------------------------------------------------------------------ */

static void
configure_keys(const char *current, const char *old)
{
	idn_kyc_deps deps = *idn_kyc_current();

	assert_int_equal(idn_pii_keyring_parse(&deps.keys, current, old, HASH_KEY), 0);
	idn_kyc_configure(&deps);
	idn_pii_keyring_wipe(&deps.keys);
}

static const char *
read_number(const test_user *u)
{
	Kolo__Identity__V1__ReadKycNumberRequest req =
		KOLO__IDENTITY__V1__READ_KYC_NUMBER_REQUEST__INIT;
	Kolo__Identity__V1__ReadKycNumberResponse *resp = NULL;

	req.user_id = (char *)u->id;
	req.purpose = "test";
	assert_int_equal(
		test_world_call(&w, &w.identity.service, "ReadKycNumber", &req, &resp, NULL), 0);
	return resp->id_number;
}

static void
test_kyc_rotation_reseals_under_the_new_key(void **state)
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
	assert_int_equal(idn_pii_rotate(&resealed, c, &idn_kyc_current()->keys), 0);
	assert_true(resealed >= 1);
	snprintf(sql, sizeof(sql), "SELECT key_id FROM user_kyc WHERE user_id = '%s'", u.id);
	kid = test_pg_value(w.admin, sql);
	assert_string_equal(kid, "k2");
	free(kid);
	assert_int_equal(test_pg_long(w.admin, "SELECT count(*) FROM user_kyc"
					       " WHERE key_id IS NOT NULL AND key_id <> 'k2'"),
			 0);
	/* Without the old key every number still opens. */
	configure_keys(NEW_KEY, "");
	assert_string_equal(read_number(&u), number);
	assert_int_equal(idn_pii_rotate(&resealed, c, &idn_kyc_current()->keys), 0);
	assert_int_equal(resealed, 0);
	db_close(c);
	assert_int_equal(activity(&u, "kyc_number_read"), 2);
	configure_keys(PII_KEY, NEW_KEY);
}

/* --- live accounts
 * ---------------------------------------------------------------- */

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
test_live_account_waits_for_kyc_then_opens_by_itself(void **state)
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
	assert_int_equal(test_fake_flw_requests("/v3/virtual-account-numbers"), 0);

	number_ending(number, "246");
	assert_int_equal(submit(&owner, "bvn", number, &k), 0);
	pay_worker_pass();
	a = get_account(group, &owner);
	assert_int_equal(a->status, NEEDS_KYC);
	assert_string_equal(a->reason, "kyc_pending");

	snprintf(body, sizeof(body), "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	identity_pass();
	pay_worker_pass(); /* by itself: nobody asks for the account */
	assert_int_equal(test_fake_flw_requests("/v3/virtual-account-numbers"), 1);
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

/* --- the account holder a group names (a proposal) ---------------------------- */

#define PIN	  "246810"
#define TREASURER KOLO__COMMON__V1__ROLE__ROLE_TREASURER
#define MEMBER	  KOLO__COMMON__V1__ROLE__ROLE_MEMBER

static void
set_pin(const test_user *u)
{
	Kolo__Identity__V1__SetPinRequest req = KOLO__IDENTITY__V1__SET_PIN_REQUEST__INIT;
	Kolo__Identity__V1__SetPinResponse *resp = NULL;

	req.pin = PIN;
	assert_int_equal(test_world_call(&w, &w.identity.service, "SetPin", &req, &resp, u), 0);
}

/* UpdateGroup naming holder as the account holder, by as. */
static int
name_holder(const char *group_id, const test_user *as, const test_user *holder,
	    Kolo__Groups__V1__UpdateGroupResponse **out)
{
	Kolo__Groups__V1__UpdateGroupRequest req = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;

	req.group_id = (char *)group_id;
	req.account_holder_user_id = (char *)holder->id;
	return test_world_call(&w, &w.groups, "UpdateGroup", &req, out, as);
}

static Kolo__Groups__V1__Group *
get_group(const char *group_id, const test_user *as)
{
	Kolo__Groups__V1__GetGroupRequest req = KOLO__GROUPS__V1__GET_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__GetGroupResponse *resp = NULL;

	req.group_id = (char *)group_id;
	assert_int_equal(test_world_call(&w, &w.groups, "GetGroup", &req, &resp, as), 0);
	return resp->group;
}

static long
holder_proposals(const char *group_id)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM group_proposal WHERE group_id = '%s'"
		 " AND kind = 'account_holder'",
		 group_id);
	return test_pg_long(w.admin, sql);
}

/* Verifies u's BVN at the Flutterwave fake (consent given); the number is
 * written to number. */
static void
verify_bvn(const test_user *u, char number[12])
{
	Kolo__Identity__V1__Kyc *k = NULL;
	char body[256];

	number_ending(number, "135");
	assert_int_equal(submit(u, "bvn", number, &k), 0);
	snprintf(body, sizeof(body), "{\"reference\":\"%s\",\"status\":\"COMPLETED\"}",
		 strrchr(k->consent_url, '/') + 1);
	test_fake_flw_control("bvn_consent", body);
	identity_pass();
}

static void
test_named_treasurer_holds_the_waiting_account_once_verified(void **state)
{
	Kolo__Groups__V1__UpdateGroupResponse *upd = NULL;
	const test_user *approvers[1];
	Kolo__Payments__V1__Account *a;
	char group[64], number[12], sql[256];
	char *sent;
	test_user owner, treasurer, member;

	number_ending(number, "579");

	(void)state;
	use_flutterwave(1);
	test_identity_user(&w.identity, &owner, "hold-owner");
	test_identity_user(&w.identity, &treasurer, "hold-treasurer");
	test_identity_user(&w.identity, &member, "hold-member");
	set_pin(&treasurer);
	/* two_officer (the default): constituted once the TREASURER joins. */
	test_world_group(&w, &owner, "Named Holder", group);
	test_world_member(&w, group, &owner, &treasurer, TREASURER);
	test_world_member(&w, group, &owner, &member, MEMBER);
	a = get_account(group, &owner);
	assert_int_equal(a->status, NEEDS_KYC);
	assert_string_equal(a->reason, "kyc_required");
	assert_string_equal(get_group(group, &owner)->account_holder_user_id, owner.id);

	/* A plain member cannot hold the account: nothing is proposed. */
	assert_int_equal(name_holder(group, &owner, &member, &upd), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "holder_not_officer");
	assert_int_equal(holder_proposals(group), 0);

	/* The OWNER alone cannot switch it: the rule needs two officers. */
	assert_int_equal(name_holder(group, &owner, &treasurer, &upd), 0);
	assert_non_null(upd->proposal);
	assert_string_equal(upd->proposal->kind, "account_holder");
	assert_string_equal(upd->proposal->status, "PENDING");
	assert_int_equal(upd->proposal->approvals_required, 2);
	assert_string_equal(upd->group->account_holder_user_id, owner.id);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM \"group\" WHERE id = '%s'"
		 " AND account_holder_id IS NULL",
		 group);
	assert_int_equal(test_pg_long(w.admin, sql), 1);

	/* The TREASURER's approval passes it (the world has no time-lock). */
	approvers[0] = &treasurer;
	test_world_pass(&w, upd->proposal, approvers, 1, PIN);
	assert_string_equal(get_group(group, &owner)->account_holder_user_id, treasurer.id);

	/* The account waits for the TREASURER now, then opens by itself. The
	 * member's pending check moves the fake's seeded random numbers on,
	 * so this account's number is not the earlier test's. */
	assert_int_equal(submit(&member, "bvn", number, NULL), 0);
	pay_worker_pass();
	a = get_account(group, &owner);
	assert_int_equal(a->status, NEEDS_KYC);
	assert_string_equal(a->reason, "kyc_required");
	verify_bvn(&treasurer, number);
	pay_worker_pass();
	assert_int_equal(test_fake_flw_requests("/v3/virtual-account-numbers"), 1);
	sent = test_fake_flw_last_body("/v3/virtual-account-numbers");
	assert_non_null(strstr(sent, number));
	free(sent);
	assert_int_equal(get_account(group, &owner)->status, ACTIVE);
	assert_int_equal(activity(&treasurer, "kyc_number_read"), 1);
	assert_int_equal(activity(&owner, "kyc_number_read"), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM va_request WHERE group_id = '%s'"
		 " AND officer_id = '%s'",
		 group, treasurer.id);
	assert_int_equal(test_pg_long(w.admin, sql), 1);
}

static void
test_demoting_the_named_holder_falls_back_to_the_owner(void **state)
{
	Kolo__Groups__V1__UpdateMemberRoleRequest demote =
		KOLO__GROUPS__V1__UPDATE_MEMBER_ROLE_REQUEST__INIT;
	Kolo__Groups__V1__UpdateMemberRoleResponse *demoted = NULL;
	Kolo__Groups__V1__CreateGroupRequest create = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupResponse *created = NULL;
	Kolo__Groups__V1__UpdateGroupResponse *upd = NULL;
	char sql[256];
	const char *group;
	test_user owner, treasurer;

	(void)state;
	use_flutterwave(1);
	test_identity_user(&w.identity, &owner, "fall-owner");
	test_identity_user(&w.identity, &treasurer, "fall-treasurer");
	/* single_officer: the OWNER's proposals pass and apply alone. */
	create.name = "Fallback";
	create.rule_template = KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER;
	assert_int_equal(test_world_call(&w, &w.groups, "CreateGroup", &create, &created, &owner),
			 0);
	group = created->group->id;
	test_world_member(&w, group, &owner, &treasurer, TREASURER);
	assert_int_equal(name_holder(group, &owner, &treasurer, &upd), 0);
	assert_string_equal(upd->proposal->status, "APPLIED");
	assert_string_equal(upd->group->account_holder_user_id, treasurer.id);
	pay_worker_pass();
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM va_request WHERE group_id = '%s'"
		 " AND officer_id = '%s'",
		 group, treasurer.id);
	assert_int_equal(test_pg_long(w.admin, sql), 1);

	demote.group_id = (char *)group;
	demote.user_id = treasurer.id;
	demote.role = MEMBER;
	assert_int_equal(
		test_world_call(&w, &w.groups, "UpdateMemberRole", &demote, &demoted, &owner), 0);
	assert_string_equal(get_group(group, &owner)->account_holder_user_id, owner.id);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM \"group\" WHERE id = '%s'"
		 " AND account_holder_id IS NULL",
		 group);
	assert_int_equal(test_pg_long(w.admin, sql), 1);
	pay_worker_pass();
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM va_request WHERE group_id = '%s'"
		 " AND officer_id = '%s'",
		 group, owner.id);
	assert_int_equal(test_pg_long(w.admin, sql), 1);
}

static void
test_demo_accounts_open_without_kyc(void **state)
{
	char group[64];
	test_user owner;

	(void)state;
	test_identity_user(&w.identity, &owner, "demoowner");
	test_world_group(&w, &owner, "Demo Savings", group);
	assert_int_equal(get_account(group, &owner)->status, ACTIVE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_kyc_refuses_a_number_that_is_not_11_digits, reset),
		cmocka_unit_test_setup(test_kyc_demo_verifies_at_once_and_seals_the_number, reset),
		cmocka_unit_test_setup(test_kyc_verified_without_a_name_asks_the_provider_again,
				       reset),
		cmocka_unit_test_setup(test_kyc_demo_refusals_store_nothing, reset),
		cmocka_unit_test_setup(test_kyc_number_verified_for_another_user_is_in_use, reset),
		cmocka_unit_test_setup(test_kyc_flutterwave_consent_then_verified, reset),
		cmocka_unit_test_setup(test_kyc_keeps_the_providers_name_not_the_users, reset),
		cmocka_unit_test_setup(test_kyc_flutterwave_names_another_person, reset),
		cmocka_unit_test_setup(test_kyc_flutterwave_5xx_and_timeout_store_nothing, reset),
		cmocka_unit_test_setup(test_kyc_rotation_reseals_under_the_new_key, reset),
		cmocka_unit_test_setup(test_live_account_waits_for_kyc_then_opens_by_itself, reset),
		cmocka_unit_test_setup(test_named_treasurer_holds_the_waiting_account_once_verified,
				       reset),
		cmocka_unit_test_setup(test_demoting_the_named_holder_falls_back_to_the_owner,
				       reset),
		cmocka_unit_test_setup(test_demo_accounts_open_without_kyc, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
