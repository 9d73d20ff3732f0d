/* The Flutterwave provider against the fake Flutterwave server
 * (tests/fake_flutterwave/fake_flutterwave.py), over real HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "provider.h"
#include "test_fake_flw.h"

#define SECRET_KEY  TEST_FAKE_FLW_SECRET_KEY
#define SECRET_HASH "kolo-webhook-hash-0123456789"

/* --- the fake (tests/support/test_fake_flw.c) ------------------------- */

static int
start_fake(void **state)
{
	return test_fake_flw_start();
}

static int
stop_fake(void **state)
{
	test_fake_flw_stop();
	return 0;
}

/* --- the provider under test ------------------------------------------ */

static pay_provider *
provider_with(const char *url, const char *key, int64_t timeout_ms)
{
	pay_flutterwave_config cfg = {.base_url = url,
				      .secret_key = key,
				      .secret_hash = SECRET_HASH,
				      .timeout_ms = timeout_ms};
	pay_provider *p = NULL;

	assert_int_equal(pay_flutterwave_new(&p, &cfg), 0);
	assert_non_null(p);
	assert_string_equal(p->ops->name, "flutterwave");
	return p;
}

static int
setup(void **state)
{
	test_fake_flw_control("reset", "{}");
	*state = provider_with(test_fake_flw_url(), SECRET_KEY, 5000);
	return 0;
}

static int
teardown(void **state)
{
	pay_provider *p = *state;

	p->ops->destroy(p);
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pay_transfer_request
transfer_to(const char *reference, int64_t amount_kobo)
{
	return (pay_transfer_request){.reference = reference,
				      .amount_kobo = amount_kobo,
				      .bank_code = "035",
				      .account_number = "0123456789",
				      .account_name = "ADAEZE OKAFOR",
				      .narration = "Kolo payout"};
}

/* --- virtual accounts ------------------------------------------------- */

static void
test_create_va(void **state)
{
	pay_provider *p = *state;
	pay_va_request req = {.tx_ref = "kolo-grp-1",
			      .group_name = "Ajo Savings Club",
			      .email = "treasurer@example.ng"};
	pay_va_result a, b;
	char *sent;

	assert_int_equal(p->ops->create_va(p, &req, &a), 0);
	assert_int_equal(strlen(a.account_number), 10);
	assert_int_equal(strspn(a.account_number, "0123456789"), 10);
	assert_string_equal(a.bank_name, "WEMA BANK");
	assert_memory_equal(a.provider_ref, "URF_", 4);
	assert_non_null(a.raw_json);
	assert_non_null(strstr(a.raw_json, a.account_number));
	sent = test_fake_flw_last_body("/v3/virtual-account-numbers");
	assert_non_null(strstr(sent, "\"tx_ref\":\"kolo-grp-1\""));
	assert_non_null(strstr(sent, "\"is_permanent\":true"));
	assert_non_null(strstr(sent, "\"narration\":\"Ajo Savings Club\""));
	assert_non_null(strstr(sent, "\"firstname\":\"Ajo\""));
	assert_non_null(strstr(sent, "\"lastname\":\"Savings Club\""));
	assert_non_null(strstr(sent, "\"email\":\"treasurer@example.ng\""));
	free(sent);

	/* Another group, another number; no email: none is sent. */
	req = (pay_va_request){.tx_ref = "kolo-grp-2", .group_name = "Esusu", .email = ""};
	assert_int_equal(p->ops->create_va(p, &req, &b), 0);
	assert_string_not_equal(a.account_number, b.account_number);
	sent = test_fake_flw_last_body("/v3/virtual-account-numbers");
	assert_null(strstr(sent, "email"));
	assert_non_null(strstr(sent, "\"firstname\":\"Esusu\""));
	assert_non_null(strstr(sent, "\"lastname\":\"Group\""));
	free(sent);
	pay_free_raw(&a.raw_json);
	pay_free_raw(&b.raw_json);
	assert_null(a.raw_json);

	req.tx_ref = "";
	assert_int_equal(p->ops->create_va(p, &req, &a), ERR_INVALID_ARGUMENT);
	assert_null(a.raw_json);
}

/* KOLO_FLW_ACCOUNT_EMAIL: the mailbox accounts are held under when the
 * request has no email of its own. */
static void
test_virtual_account_uses_the_configured_email(void **state)
{
	pay_flutterwave_config cfg = {.base_url = test_fake_flw_url(),
				      .secret_key = SECRET_KEY,
				      .secret_hash = SECRET_HASH,
				      .timeout_ms = 5000,
				      .account_email = "accounts@kolo.example"};
	pay_va_request req = {.tx_ref = "kolo-grp-email", .group_name = "Ajo", .email = ""};
	pay_provider *p = NULL;
	pay_va_result out;
	char *sent;

	(void)state;
	assert_int_equal(pay_flutterwave_new(&p, &cfg), 0);
	assert_int_equal(p->ops->create_va(p, &req, &out), 0);
	sent = test_fake_flw_last_body("/v3/virtual-account-numbers");
	assert_non_null(strstr(sent, "\"email\":\"accounts@kolo.example\""));
	free(sent);
	pay_free_raw(&out.raw_json);
	p->ops->destroy(p);
}

static void
test_wrong_key_is_refused_without_leaking_it(void **state)
{
	pay_provider *p = provider_with(test_fake_flw_url(), "FLWSECK_TEST-wrong-key", 5000);
	pay_va_request req = {.tx_ref = "kolo-grp-1", .group_name = "Ajo", .email = ""};
	pay_va_result out;

	/* Our configuration, not the request: callers retry (and alert). */
	assert_int_equal(p->ops->create_va(p, &req, &out), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "provider_auth");
	assert_non_null(strstr(err_last()->message, "Invalid authorization key"));
	assert_null(strstr(err_last()->message, "FLWSECK"));
	assert_null(out.raw_json);
	p->ops->destroy(p);
}

static void
test_unknown_path_is_not_found(void **state)
{
	char url[128];
	pay_provider *p;
	pay_bank *banks = NULL;
	size_t n = 7;

	snprintf(url, sizeof(url), "%s/elsewhere", test_fake_flw_url());
	p = provider_with(url, SECRET_KEY, 5000);
	assert_int_equal(p->ops->list_banks(p, &banks, &n), ERR_NOT_FOUND);
	assert_null(banks);
	assert_int_equal(n, 0);
	p->ops->destroy(p);

	/* A base url ending in /v3 is the same API. */
	snprintf(url, sizeof(url), "%s/v3/", test_fake_flw_url());
	p = provider_with(url, SECRET_KEY, 5000);
	assert_int_equal(p->ops->list_banks(p, &banks, &n), 0);
	free(banks);
	p->ops->destroy(p);
}

/* --- transfers -------------------------------------------------------- */

static void
test_transfer_pending_then_settled(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to("payout-1", 150075);
	pay_transfer_result out, got;
	json_int_t lookups;
	char *sent;

	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_PENDING);
	assert_true(out.provider_id[0] != '\0');
	assert_int_equal(out.amount_kobo, 150075);
	assert_non_null(out.raw_json);
	/* The amount goes out as the exact naira text, a JSON number. */
	sent = test_fake_flw_last_body("/v3/transfers");
	assert_memory_equal(sent, "{\"amount\":1500.75,", 18);
	assert_non_null(strstr(sent, "\"currency\":\"NGN\""));
	assert_non_null(strstr(sent, "\"debit_currency\":\"NGN\""));
	assert_non_null(strstr(sent, "\"reference\":\"payout-1\""));
	assert_non_null(strstr(sent, "\"account_bank\":\"035\""));
	free(sent);

	assert_int_equal(p->ops->get_transfer(p, "payout-1", NULL, &got), 0);
	assert_int_equal(got.status, PAY_TRANSFER_PENDING);
	assert_string_equal(got.provider_id, out.provider_id);
	assert_int_equal(got.amount_kobo, 150075);
	pay_free_raw(&got.raw_json);

	test_fake_flw_control("transfer_status",
			      "{\"reference\":\"payout-1\",\"status\":\"SUCCESSFUL\"}");
	assert_int_equal(p->ops->get_transfer(p, "payout-1", NULL, &got), 0);
	assert_int_equal(got.status, PAY_TRANSFER_SUCCESS);
	assert_string_equal(got.provider_id, out.provider_id);
	assert_non_null(got.raw_json);
	pay_free_raw(&got.raw_json);

	/* With its id known it is read by id, without the list lookup... */
	lookups = test_fake_flw_requests("GET /v3/transfers");
	assert_int_equal(p->ops->get_transfer(p, "payout-1", out.provider_id, &got), 0);
	assert_int_equal(got.status, PAY_TRANSFER_SUCCESS);
	assert_int_equal(test_fake_flw_requests("GET /v3/transfers"), lookups);
	pay_free_raw(&got.raw_json);
	/* ...and must still carry our reference. */
	assert_int_not_equal(p->ops->get_transfer(p, "payout-other", out.provider_id, &got), 0);
	assert_null(got.raw_json);
	pay_free_raw(&out.raw_json);

	/* A second transfer that fails, with the provider's words. */
	req = transfer_to("payout-2", 2000);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	sent = test_fake_flw_last_body("/v3/transfers");
	assert_memory_equal(sent, "{\"amount\":20.00,", 16);
	free(sent);
	test_fake_flw_control("transfer_status",
			      "{\"reference\":\"payout-2\",\"status\":\"FAILED\"}");
	assert_int_equal(p->ops->get_transfer(p, "payout-2", NULL, &got), 0);
	assert_int_equal(got.status, PAY_TRANSFER_FAILED);
	assert_non_null(strstr(got.message, "Insufficient funds"));
	assert_int_equal(got.amount_kobo, 2000);
	pay_free_raw(&got.raw_json);
	pay_free_raw(&out.raw_json);
}

static void
test_transfer_immediate_outcomes(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to("payout-ok", 500000);
	pay_transfer_result out;

	test_fake_flw_mode("transfers", "succeed_immediately", 1);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_SUCCESS);
	pay_free_raw(&out.raw_json);

	test_fake_flw_mode("transfers", "fail_immediately", 0);
	req = transfer_to("payout-bad", 500000);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_FAILED);
	assert_non_null(strstr(out.message, "DISBURSE FAILED"));
	pay_free_raw(&out.raw_json);

	test_fake_flw_mode("transfers", "new", 0);
	req = transfer_to("payout-new", 1);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_PENDING);
	assert_int_equal(out.amount_kobo, 1);
	pay_free_raw(&out.raw_json);

	req = transfer_to("payout-zero", 0);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_INVALID_ARGUMENT);
	req = transfer_to("", 100);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_INVALID_ARGUMENT);
	assert_int_equal(test_fake_flw_transfers_created("payout-zero"), 0);
}

static void
test_duplicate_reference_creates_no_second_transfer(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to("payout-dup", 10000);
	pay_transfer_result first, again;

	assert_int_equal(p->ops->create_transfer(p, &req, &first), 0);
	assert_int_equal(p->ops->create_transfer(p, &req, &again), 0);
	assert_string_equal(first.provider_id, again.provider_id);
	assert_int_equal(test_fake_flw_transfers_created("payout-dup"), 1);
	pay_free_raw(&again.raw_json);

	/* The live API may refuse a known reference (400) instead: the
	 * provider then reports the transfer that exists, not a failure. */
	test_fake_flw_mode("transfers", "duplicate_error", 1);
	test_fake_flw_control("transfer_status",
			      "{\"reference\":\"payout-dup\",\"status\":\"SUCCESSFUL\"}");
	assert_int_equal(p->ops->create_transfer(p, &req, &again), 0);
	assert_string_equal(first.provider_id, again.provider_id);
	assert_int_equal(again.status, PAY_TRANSFER_SUCCESS);
	assert_int_equal(test_fake_flw_transfers_created("payout-dup"), 1);
	pay_free_raw(&again.raw_json);
	pay_free_raw(&first.raw_json);

	/* A refusal of a transfer that does not exist stays a refusal, and
	 * its message does not carry the whole account number. */
	req = transfer_to("payout-refused", 10000);
	req.account_number = "0000000000";
	assert_int_equal(p->ops->create_transfer(p, &req, &again), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "provider_refused");
	assert_non_null(strstr(err_last()->message, "******0000"));
	assert_null(again.raw_json);
	assert_int_equal(test_fake_flw_transfers_created("payout-refused"), 0);
	req.account_number = "";
	assert_int_equal(p->ops->create_transfer(p, &req, &again), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_provider_request");
}

static void
test_get_transfer_unknown_is_not_found(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to("payout-known", 10000);
	pay_transfer_result out;

	assert_int_equal(p->ops->get_transfer(p, "payout-never", NULL, &out), ERR_NOT_FOUND);
	assert_null(out.raw_json);
	/* A reference that needs escaping in the query reaches the fake whole. */
	assert_int_equal(p->ops->get_transfer(p, "a&reference=payout-known", NULL, &out),
			 ERR_NOT_FOUND);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	pay_free_raw(&out.raw_json);
	assert_int_equal(p->ops->get_transfer(p, "a&reference=payout-known", NULL, &out),
			 ERR_NOT_FOUND);
	assert_int_equal(p->ops->get_transfer(p, "payout-known", NULL, &out), 0);
	pay_free_raw(&out.raw_json);
}

static void
test_server_error_is_unavailable(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to("payout-500", 10000);
	pay_va_request va = {.tx_ref = "kolo-grp-500", .group_name = "Ajo", .email = ""};
	pay_transfer_result out;
	pay_va_result va_out;

	test_fake_flw_mode("transfers", "fail500", 1);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_UNAVAILABLE);
	assert_null(out.raw_json);
	assert_int_equal(test_fake_flw_transfers_created("payout-500"), 0);
	/* times 1: the next request is answered. */
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(test_fake_flw_transfers_created("payout-500"), 1);
	pay_free_raw(&out.raw_json);

	test_fake_flw_mode("*", "fail500", 0);
	assert_int_equal(p->ops->create_va(p, &va, &va_out), ERR_UNAVAILABLE);
	assert_int_equal(p->ops->get_transfer(p, "payout-500", NULL, &out), ERR_UNAVAILABLE);
	test_fake_flw_mode("*", "ok", 0);
	assert_int_equal(p->ops->create_va(p, &va, &va_out), 0);
	pay_free_raw(&va_out.raw_json);

	/* Created, then 500: unknown outcome, and get_transfer finds it. */
	req = transfer_to("payout-500-after", 10000);
	test_fake_flw_mode("transfers", "created_fail500", 1);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_UNAVAILABLE);
	assert_int_equal(p->ops->get_transfer(p, "payout-500-after", NULL, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_PENDING);
	assert_int_equal(test_fake_flw_transfers_created("payout-500-after"), 1);
	pay_free_raw(&out.raw_json);
}

static void
test_unreachable_is_unavailable(void **state)
{
	/* Port 1 on loopback: nothing listens there. */
	pay_provider *p = provider_with("http://127.0.0.1:1", SECRET_KEY, 2000);
	pay_transfer_request req = transfer_to("payout-x", 100);
	pay_transfer_result out;

	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "provider_unavailable");
	p->ops->destroy(p);
}

static void
test_slow_answer_is_deadline_exceeded(void **state)
{
	pay_provider *p = provider_with(test_fake_flw_url(), SECRET_KEY, 300);
	pay_transfer_request req = transfer_to("payout-slow", 10000);
	pay_transfer_result out;
	int64_t started;

	test_fake_flw_mode("transfers", "slow:1500", 1);
	started = now_ms();
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_DEADLINE_EXCEEDED);
	assert_true(now_ms() - started < 1200);
	assert_string_equal(err_last()->reason, "provider_timeout");
	assert_null(out.raw_json);
	/* The fake made the transfer before it answered slowly: the lookup by
	 * reference finds it although we never learned its id. */
	assert_int_equal(p->ops->get_transfer(p, "payout-slow", NULL, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_PENDING);
	assert_int_equal(out.amount_kobo, 10000);
	pay_free_raw(&out.raw_json);
	/* And asking again creates nothing new. */
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	pay_free_raw(&out.raw_json);
	assert_int_equal(test_fake_flw_transfers_created("payout-slow"), 1);

	test_fake_flw_mode("verify", "slow:1500", 1);
	test_fake_flw_transaction("555", "kolo-grp-1", "10", "successful");
	{
		pay_charge charge;

		assert_int_equal(p->ops->verify_charge(p, "555", &charge), ERR_DEADLINE_EXCEEDED);
	}
	p->ops->destroy(p);
}

/* --- deposits --------------------------------------------------------- */

static void
test_verify_charge_exact_amounts(void **state)
{
	pay_provider *p = *state;
	pay_charge c;

	test_fake_flw_transaction("987001", "kolo-grp-1", "1500.75", "successful");
	assert_int_equal(p->ops->verify_charge(p, "987001", &c), 0);
	assert_string_equal(c.id, "987001");
	assert_string_equal(c.tx_ref, "kolo-grp-1");
	assert_int_equal(c.amount_kobo, 150075);
	assert_string_equal(c.currency, "NGN");
	assert_int_equal(c.successful, 1);
	assert_non_null(strstr(c.raw_json, "\"amount\":1500.75"));
	pay_free_raw(&c.raw_json);

	/* 0.1 + 0.2 as doubles is not 0.3; as text it is 30 kobo. */
	test_fake_flw_transaction("987002", "kolo-grp-1", "0.30", "successful");
	assert_int_equal(p->ops->verify_charge(p, "987002", &c), 0);
	assert_int_equal(c.amount_kobo, 30);
	pay_free_raw(&c.raw_json);

	test_fake_flw_transaction("987003", "kolo-grp-1", "26.870", "successful");
	assert_int_equal(p->ops->verify_charge(p, "987003", &c), 0);
	assert_int_equal(c.amount_kobo, 2687);
	pay_free_raw(&c.raw_json);

	test_fake_flw_transaction("987004", "kolo-grp-1", "92233720368547.75", "successful");
	assert_int_equal(p->ops->verify_charge(p, "987004", &c), 0);
	assert_int_equal(c.amount_kobo, 9223372036854775LL);
	pay_free_raw(&c.raw_json);

	test_fake_flw_transaction("987005", "kolo-grp-1", "5000", "failed");
	assert_int_equal(p->ops->verify_charge(p, "987005", &c), 0);
	assert_int_equal(c.successful, 0);
	assert_int_equal(c.amount_kobo, 500000);
	pay_free_raw(&c.raw_json);
}

static void
test_verify_charge_refuses_fractions_of_kobo(void **state)
{
	pay_provider *p = *state;
	pay_charge c;

	test_fake_flw_transaction("987010", "kolo-grp-1", "26.875", "successful");
	assert_int_equal(p->ops->verify_charge(p, "987010", &c), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "not_whole_kobo");
	assert_null(c.raw_json);
	assert_int_equal(c.amount_kobo, 0);
}

static void
test_verify_charge_mismatched_amount(void **state)
{
	pay_provider *p = *state;
	pay_charge c;

	test_fake_flw_transaction("987020", "kolo-grp-1", "1500.75", "successful");
	test_fake_flw_mode("verify", "mismatch_amount", 1);
	assert_int_equal(p->ops->verify_charge(p, "987020", &c), 0);
	assert_int_equal(c.amount_kobo, 150175);
	pay_free_raw(&c.raw_json);
	assert_int_equal(p->ops->verify_charge(p, "987020", &c), 0);
	assert_int_equal(c.amount_kobo, 150075);
	pay_free_raw(&c.raw_json);
}

static void
expect_verify(pay_provider *p, const char *id, const char *reply, int want_rc,
	      const char *want_reason)
{
	pay_charge c;
	int rc;

	test_fake_flw_raw_reply(id, reply);
	rc = p->ops->verify_charge(p, id, &c);
	if (rc != want_rc || (want_reason && strcmp(err_last()->reason, want_reason) != 0))
		fail_msg("verify of %s: rc %d (%s), want %d (%s)", reply, rc, err_last()->reason,
			 want_rc, want_reason ? want_reason : "");
	if (rc == 0)
		pay_free_raw(&c.raw_json);
	else
		assert_null(c.raw_json);
}

static void
test_verify_charge_odd_shapes(void **state)
{
	pay_provider *p = *state;
	pay_charge c;
	char *huge;

#define GOOD_DATA "\"tx_ref\":\"kolo-grp-1\",\"currency\":\"NGN\",\"status\":\"successful\""
	/* An amount written as a string is read exactly too. */
	test_fake_flw_raw_reply("7001", "{\"status\":\"success\",\"data\":{\"id\":7001," GOOD_DATA
					",\"amount\":\"1500.75\"}}");
	assert_int_equal(p->ops->verify_charge(p, "7001", &c), 0);
	assert_int_equal(c.amount_kobo, 150075);
	pay_free_raw(&c.raw_json);
	/* A string id is the same id. */
	expect_verify(p, "7002",
		      "{\"status\":\"success\",\"data\":{\"id\":\"7002\"," GOOD_DATA
		      ",\"amount\":1}}",
		      0, NULL);

	expect_verify(p, "7010", "{\"status\":\"success\",\"data\":null}", ERR_INTERNAL,
		      "provider_bad_reply");
	expect_verify(p, "7011",
		      "{\"status\":\"success\",\"data\":{\"id\":9999," GOOD_DATA ",\"amount\":1}}",
		      ERR_INTERNAL, "provider_bad_reply");
	expect_verify(p, "7012", "{\"status\":\"success\",\"data\":{\"id\":7012," GOOD_DATA "}}",
		      ERR_INTERNAL, "provider_bad_reply");
	expect_verify(p, "7013",
		      "{\"status\":\"success\",\"data\":{\"id\":7013," GOOD_DATA
		      ",\"amount\":1.5e3}}",
		      ERR_INTERNAL, "provider_bad_reply");
	expect_verify(p, "7014",
		      "{\"status\":\"success\",\"data\":{\"id\":7014," GOOD_DATA
		      ",\"amount\":true}}",
		      ERR_INTERNAL, "provider_bad_reply");
	expect_verify(p, "7015",
		      "{\"status\":\"success\",\"data\":{\"id\":7015," GOOD_DATA
		      ",\"amount\":1,\"amount\":2}}",
		      ERR_INTERNAL, "provider_bad_reply");
	expect_verify(p, "7016", "<html>502 Bad Gateway</html>", ERR_INTERNAL,
		      "provider_bad_reply");
	expect_verify(p, "7017",
		      "{\"status\":\"success\",\"data\":{\"id\":7017,"
		      "\"currency\":\"NGN\",\"status\":\"successful\",\"amount\":1}}",
		      ERR_INTERNAL, "provider_bad_reply");
	expect_verify(p, "7018",
		      "{\"status\":\"error\",\"message\":\"No transaction\","
		      "\"data\":null}",
		      ERR_INVALID_ARGUMENT, "provider_refused");
	expect_verify(p, "7019", "", ERR_INTERNAL, "provider_bad_reply");
	expect_verify(p, "7020",
		      "{\"status\":\"success\",\"data\":{\"id\":7020," GOOD_DATA
		      ",\"amount\":-0.5}}",
		      0, NULL);

	/* A reply past the cap is refused, not read. */
	huge = malloc(1300 * 1024);
	assert_non_null(huge);
	memset(huge, ' ', 1300 * 1024 - 1);
	huge[0] = '{';
	memcpy(huge + 1300 * 1024 - 3, "}", 2);
	expect_verify(p, "7021", huge, ERR_INTERNAL, "provider_reply_too_large");
	free(huge);

	/* Unknown ids: the live API answers 400. */
	assert_int_equal(p->ops->verify_charge(p, "123456789", &c), ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(err_last()->message, "No transaction was found"));
	/* An id that is not one is never put in a URL. */
	assert_int_equal(p->ops->verify_charge(p, "../../v3/banks/NG", &c), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_transaction_id");
	assert_int_equal(p->ops->verify_charge(p, "", &c), ERR_INVALID_ARGUMENT);
#undef GOOD_DATA
}

/* --- accounts and banks ----------------------------------------------- */

static void
test_resolve_account(void **state)
{
	pay_provider *p = *state;
	char name[128], small[6];

	assert_int_equal(p->ops->resolve_account(p, "035", "0123456789", name, sizeof(name)), 0);
	assert_string_equal(name, "ADAEZE OKAFOR");
	assert_int_equal(p->ops->resolve_account(p, "035", "0123456789", small, sizeof(small)), 0);
	assert_string_equal(small, "ADAEZ");
	assert_int_equal(p->ops->resolve_account(p, "035", "0000000000", name, sizeof(name)),
			 ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "account_not_found");
	assert_null(strstr(err_last()->message, "0000000000"));
	assert_string_equal(name, "");
	assert_int_equal(p->ops->resolve_account(p, "035", "12 34", name, sizeof(name)),
			 ERR_INVALID_ARGUMENT);
}

static void
test_list_banks(void **state)
{
	pay_provider *p = *state;
	pay_bank *banks = NULL;
	size_t n = 0;
	int wema = 0, gtb = 0;

	assert_int_equal(p->ops->list_banks(p, &banks, &n), 0);
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(banks[i].code, "035") == 0 && strcmp(banks[i].name, "Wema Bank") == 0)
			wema = 1;
		if (strcmp(banks[i].code, "058") == 0 && strcmp(banks[i].name, "GTBank") == 0)
			gtb = 1;
	}
	assert_true(wema && gtb);
	free(banks);

	test_fake_flw_mode("banks", "fail500", 1);
	assert_int_equal(p->ops->list_banks(p, &banks, &n), ERR_UNAVAILABLE);
	assert_null(banks);
}

/* --- webhooks --------------------------------------------------------- */

static void
test_signature_ok(void **state)
{
	pay_provider *p = *state;
	const uint8_t body[] = "{}";
	const pay_header right[] = {{"content-type", "application/json"},
				    {"verif-hash", SECRET_HASH}};
	const pay_header newer[] = {{"flutterwave-signature", SECRET_HASH}};
	const pay_header wrong[] = {{"verif-hash", "kolo-webhook-hash-0123456780"}};
	const pay_header shorter[] = {{"verif-hash", "kolo-webhook-hash"}};
	const pay_header longer[] = {{"verif-hash", SECRET_HASH "9"}};
	const pay_header empty[] = {{"verif-hash", ""}};
	const pay_header other[] = {{"x-verif-hash", SECRET_HASH}};
	const pay_header null_value[] = {{"verif-hash", NULL}};
	pay_flutterwave_config cfg = {.base_url = test_fake_flw_url(),
				      .secret_key = SECRET_KEY,
				      .secret_hash = "",
				      .timeout_ms = 1000};
	pay_provider *no_hash = NULL;

	assert_int_equal(p->ops->signature_ok(p, right, 2, body, 2), 1);
	assert_int_equal(p->ops->signature_ok(p, newer, 1, body, 2), 1);
	assert_int_equal(p->ops->signature_ok(p, wrong, 1, body, 2), 0);
	assert_int_equal(p->ops->signature_ok(p, shorter, 1, body, 2), 0);
	assert_int_equal(p->ops->signature_ok(p, longer, 1, body, 2), 0);
	assert_int_equal(p->ops->signature_ok(p, empty, 1, body, 2), 0);
	assert_int_equal(p->ops->signature_ok(p, other, 1, body, 2), 0);
	assert_int_equal(p->ops->signature_ok(p, null_value, 1, body, 2), 0);
	assert_int_equal(p->ops->signature_ok(p, right, 1, body, 2), 0);
	assert_int_equal(p->ops->signature_ok(p, NULL, 0, body, 2), 0);

	/* With no secret hash configured nothing is signed. */
	assert_int_equal(pay_flutterwave_new(&no_hash, &cfg), 0);
	assert_int_equal(no_hash->ops->signature_ok(no_hash, empty, 1, body, 2), 0);
	no_hash->ops->destroy(no_hash);
}

static int
parse(pay_provider *p, const char *body, pay_event *ev)
{
	return p->ops->parse_event(p, (const uint8_t *)body, strlen(body), ev);
}

static void
test_parse_event_charge(void **state)
{
	pay_provider *p = *state;
	pay_event ev;

	assert_int_equal(parse(p,
			       "{\"event\":\"charge.completed\",\"data\":{\"id\":285959875,"
			       "\"tx_ref\":\"kolo-grp-1\",\"flw_ref\":\"FLW-MOCK\","
			       "\"amount\":1500.75,\"currency\":\"NGN\",\"charged_amount\":1500.75,"
			       "\"app_fee\":26.875,\"status\":\"successful\","
			       "\"payment_type\":\"bank_transfer\",\"customer\":{\"id\":1}},"
			       "\"meta_data\":{\"originatorname\":\"ADA\"},"
			       "\"event.type\":\"BANK_TRANSFER_TRANSACTION\"}",
			       &ev),
			 0);
	assert_int_equal(ev.kind, PAY_EVENT_CHARGE);
	assert_string_equal(ev.type, "charge.completed");
	assert_string_equal(ev.transaction_id, "285959875");
	assert_string_equal(ev.tx_ref, "kolo-grp-1");
	assert_int_equal(ev.amount_kobo, 150075);
	assert_string_equal(ev.currency, "NGN");

	/* The older flat camelCase shape. */
	assert_int_equal(parse(p,
			       "{\"id\":1234,\"txRef\":\"kolo-grp-2\",\"flwRef\":\"FLW-X\","
			       "\"amount\":20,\"currency\":\"NGN\",\"status\":\"successful\","
			       "\"event.type\":\"BANK_TRANSFER_TRANSACTION\"}",
			       &ev),
			 0);
	assert_int_equal(ev.kind, PAY_EVENT_CHARGE);
	assert_string_equal(ev.type, "BANK_TRANSFER_TRANSACTION");
	assert_string_equal(ev.transaction_id, "1234");
	assert_string_equal(ev.tx_ref, "kolo-grp-2");
	assert_int_equal(ev.amount_kobo, 2000);

	/* A card charge is not a deposit to a group account. */
	assert_int_equal(parse(p,
			       "{\"event\":\"charge.completed\",\"data\":{\"id\":1,"
			       "\"tx_ref\":\"x\",\"amount\":5,\"payment_type\":\"card\"}}",
			       &ev),
			 0);
	assert_int_equal(ev.kind, PAY_EVENT_OTHER);
	assert_string_equal(ev.type, "charge.completed");
}

static void
test_parse_event_transfer_and_others(void **state)
{
	pay_provider *p = *state;
	pay_event ev;

	assert_int_equal(parse(p,
			       "{\"event\":\"transfer.completed\",\"event.type\":\"Transfer\","
			       "\"data\":{\"id\":400001,\"reference\":\"payout-1\","
			       "\"status\":\"SUCCESSFUL\",\"amount\":1500.75,"
			       "\"complete_message\":\"Transaction was successful\"}}",
			       &ev),
			 0);
	assert_int_equal(ev.kind, PAY_EVENT_TRANSFER);
	assert_string_equal(ev.type, "transfer.completed");
	assert_string_equal(ev.transfer_ref, "payout-1");

	assert_int_equal(parse(p, "{\"event\":\"subscription.cancelled\",\"data\":{}}", &ev), 0);
	assert_int_equal(ev.kind, PAY_EVENT_OTHER);
	assert_string_equal(ev.type, "subscription.cancelled");
	assert_int_equal(parse(p, "{\"event.type\":\"CARD_TRANSACTION\",\"id\":5}", &ev), 0);
	assert_int_equal(ev.kind, PAY_EVENT_OTHER);
	assert_string_equal(ev.type, "CARD_TRANSACTION");
}

static void
test_parse_event_garbage(void **state)
{
	pay_provider *p = *state;
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"event\":42}",
		"{\"event\":\"charge.completed\"}",
		"{\"event\":\"charge.completed\",\"data\":[]}",
		/* a deposit without tx_ref, id or an exact amount */
		"{\"event\":\"charge.completed\",\"data\":{\"id\":1,\"amount\":5,"
		"\"payment_type\":\"bank_transfer\"}}",
		"{\"event\":\"charge.completed\",\"data\":{\"tx_ref\":\"x\",\"amount\":5,"
		"\"payment_type\":\"bank_transfer\"}}",
		"{\"event\":\"charge.completed\",\"data\":{\"id\":1.5,\"tx_ref\":\"x\","
		"\"amount\":5,\"payment_type\":\"bank_transfer\"}}",
		"{\"event\":\"charge.completed\",\"data\":{\"id\":1,\"tx_ref\":\"x\","
		"\"payment_type\":\"bank_transfer\"}}",
		"{\"event\":\"charge.completed\",\"data\":{\"id\":1,\"tx_ref\":\"x\","
		"\"amount\":26.875,\"payment_type\":\"bank_transfer\"}}",
		"{\"event\":\"charge.completed\",\"data\":{\"id\":1,\"tx_ref\":\"x\","
		"\"amount\":5,\"amount\":500000,\"payment_type\":\"bank_transfer\"}}",
		"{\"event\":\"transfer.completed\",\"data\":{\"id\":1}}",
		"{\"event.type\":\"BANK_TRANSFER_TRANSACTION\",\"id\":1,\"amount\":5}",
		"{\"event\":\"charge.completed\"} trailing",
	};
	pay_event ev;
	char deep[300];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(p, bad[i], &ev) != ERR_INVALID_ARGUMENT)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(ev.kind, PAY_EVENT_OTHER);
		assert_string_equal(ev.transaction_id, "");
	}
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	assert_int_equal(parse(p, deep, &ev), ERR_INVALID_ARGUMENT);
	assert_int_equal(p->ops->parse_event(p, NULL, 0, &ev), ERR_INVALID_ARGUMENT);
}

/* --- configuration and threads ---------------------------------------- */

static void
test_config_is_checked(void **state)
{
	pay_flutterwave_config cfg = {.base_url = "http://api.flutterwave.com",
				      .secret_key = SECRET_KEY,
				      .secret_hash = SECRET_HASH,
				      .timeout_ms = 1000};
	pay_provider *p = NULL;

	/* The key never goes over plain http to another machine. */
	assert_int_equal(pay_flutterwave_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	assert_null(p);
	cfg.base_url = "http://127.0.0.1.example.com";
	assert_int_equal(pay_flutterwave_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.base_url = "ftp://127.0.0.1";
	assert_int_equal(pay_flutterwave_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.base_url = "https://api.flutterwave.com";
	cfg.secret_key = "";
	assert_int_equal(pay_flutterwave_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.secret_key = "FLWSECK\r\nX-Injected: 1";
	assert_int_equal(pay_flutterwave_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	assert_null(strstr(err_last()->message, "FLWSECK"));
	cfg.secret_key = SECRET_KEY;
	cfg.timeout_ms = 0;
	assert_int_equal(pay_flutterwave_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.timeout_ms = 1000;
	assert_int_equal(pay_flutterwave_new(&p, &cfg), 0);
	assert_string_equal(p->ops->deposit_source, "provider_sandbox");
	p->ops->destroy(p);
}

#define THREADS 8
#define CALLS	10

typedef struct worker {
	pay_provider *p;
	int index;
	int failures;
} worker;

static void *
worker_run(void *arg)
{
	worker *w = arg;

	for (int i = 0; i < CALLS; i++) {
		char ref[64];
		pay_transfer_request req;
		pay_transfer_result out;
		pay_charge c;

		snprintf(ref, sizeof(ref), "payout-t%d-%d", w->index, i);
		req = transfer_to(ref, 100 + i);
		if (w->p->ops->create_transfer(w->p, &req, &out) != 0 ||
		    out.amount_kobo != 100 + i) {
			w->failures++;
			continue;
		}
		pay_free_raw(&out.raw_json);
		if (w->p->ops->get_transfer(w->p, ref, NULL, &out) != 0 ||
		    out.amount_kobo != 100 + i) {
			w->failures++;
			continue;
		}
		pay_free_raw(&out.raw_json);
		if (w->p->ops->verify_charge(w->p, "888001", &c) != 0 || c.amount_kobo != 99)
			w->failures++;
		pay_free_raw(&c.raw_json);
		/* Errors are per thread: a refusal here does not touch others. */
		if (w->p->ops->verify_charge(w->p, "../x", &c) != ERR_INVALID_ARGUMENT)
			w->failures++;
	}
	return NULL;
}

static void
test_calls_from_many_threads(void **state)
{
	pay_provider *p = *state;
	pthread_t threads[THREADS];
	worker workers[THREADS];
	json_t *s, *created;

	test_fake_flw_transaction("888001", "kolo-grp-1", "0.99", "successful");
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (worker){.p = p, .index = i};
		assert_int_equal(pthread_create(&threads[i], NULL, worker_run, &workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(threads[i], NULL), 0);
		assert_int_equal(workers[i].failures, 0);
	}
	s = test_fake_flw_stats();
	created = json_object_get(s, "transfers_created");
	assert_int_equal(json_object_size(created), THREADS * CALLS);
	json_decref(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_create_va),
		T(test_virtual_account_uses_the_configured_email),
		T(test_wrong_key_is_refused_without_leaking_it),
		T(test_unknown_path_is_not_found),
		T(test_transfer_pending_then_settled),
		T(test_transfer_immediate_outcomes),
		T(test_duplicate_reference_creates_no_second_transfer),
		T(test_get_transfer_unknown_is_not_found),
		T(test_server_error_is_unavailable),
		T(test_unreachable_is_unavailable),
		T(test_slow_answer_is_deadline_exceeded),
		T(test_verify_charge_exact_amounts),
		T(test_verify_charge_refuses_fractions_of_kobo),
		T(test_verify_charge_mismatched_amount),
		T(test_verify_charge_odd_shapes),
		T(test_resolve_account),
		T(test_list_banks),
		T(test_signature_ok),
		T(test_parse_event_charge),
		T(test_parse_event_transfer_and_others),
		T(test_parse_event_garbage),
		T(test_config_is_checked),
		T(test_calls_from_many_threads),
#undef T
	};

	return cmocka_run_group_tests(tests, start_fake, stop_fake);
}
