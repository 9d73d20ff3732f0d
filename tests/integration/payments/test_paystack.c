/* The Paystack provider against the fake Paystack server
 * (tests/fake_paystack/fake_paystack.py), over real HTTP. */
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

#include "metrics/metrics.h"
#include "provider.h"
#include "test_fake_flw.h"

#define SECRET_KEY TEST_FAKE_PSK_SECRET_KEY
#define MAILBOX	   "accounts@kolo.example"

static int
start_fake(void **state)
{
	(void)state;
	return test_fake_start_script(TEST_FAKE_PSK_SCRIPT, SECRET_KEY);
}

static int
stop_fake(void **state)
{
	(void)state;
	test_fake_flw_stop();
	return 0;
}

static pay_provider *
provider_with(const char *url, const char *key, int64_t timeout_ms)
{
	pay_paystack_config cfg = {.base_url = url,
				   .secret_key = key,
				   .account_email = MAILBOX,
				   .timeout_ms = timeout_ms};
	pay_provider *p = NULL;

	assert_int_equal(pay_paystack_new(&p, &cfg), 0);
	assert_non_null(p);
	assert_string_equal(p->ops->name, "paystack");
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

/* Paystack's references: 16..50 of [a-z0-9_-] (ours are payout uuids). */
#define REF(n) "00000000-0000-4000-8000-0000000000" n

static pay_transfer_request
transfer_to(const char *reference, int64_t amount_kobo)
{
	return (pay_transfer_request){.reference = reference,
				      .amount_kobo = amount_kobo,
				      .bank_code = "058",
				      .account_number = "0123456789",
				      .account_name = "ADAEZE OKAFOR",
				      .narration = "Kolo payout"};
}

/* --- dedicated accounts ------------------------------------------------- */

static void
test_dedicated_account_one_per_group_even_when_asked_twice(void **state)
{
	pay_provider *p = *state;
	pay_va_request req = {
		.tx_ref = "kolo-grp-1", .group_name = "Ajo Savings Club", .email = ""};
	pay_va_result a, again, b;
	char *sent;

	assert_int_equal(p->ops->create_va(p, &req, &a), 0);
	assert_int_equal(strlen(a.account_number), 10);
	assert_string_equal(a.bank_name, "Wema Bank");
	assert_memory_equal(a.provider_ref, "CUS_", 4);
	assert_non_null(strstr(a.raw_json, a.account_number));
	sent = test_fake_flw_last_body("/customer");
	assert_non_null(strstr(sent, "\"email\":\"accounts+kolo-grp-1@kolo.example\""));
	assert_non_null(strstr(sent, "\"first_name\":\"Ajo\""));
	assert_non_null(strstr(sent, "\"last_name\":\"Savings Club\""));
	free(sent);
	sent = test_fake_flw_last_body("/dedicated_account");
	assert_non_null(strstr(sent, "\"preferred_bank\":\"wema-bank\""));
	free(sent);

	/* A retry (after a crash or a timeout) finds the same account. */
	assert_int_equal(p->ops->create_va(p, &req, &again), 0);
	assert_string_equal(again.account_number, a.account_number);
	assert_int_equal(test_fake_flw_accounts_created("kolo-grp-1"), 1);

	req.tx_ref = "kolo-grp-2";
	assert_int_equal(p->ops->create_va(p, &req, &b), 0);
	assert_string_not_equal(a.account_number, b.account_number);
	pay_free_raw(&a.raw_json);
	pay_free_raw(&again.raw_json);
	pay_free_raw(&b.raw_json);

	req.tx_ref = "";
	assert_int_equal(p->ops->create_va(p, &req, &a), ERR_INVALID_ARGUMENT);
	assert_null(a.raw_json);
}

static void
test_dedicated_account_failures_are_unavailable_and_leave_nothing(void **state)
{
	pay_provider *p = *state;
	pay_va_request req = {.tx_ref = "kolo-grp-3", .group_name = "Esusu", .email = ""};
	pay_va_result out;

	test_fake_flw_mode("dedicated_account", "fail500", 1);
	assert_int_equal(p->ops->create_va(p, &req, &out), ERR_UNAVAILABLE);
	assert_null(out.raw_json);
	assert_int_equal(test_fake_flw_accounts_created("kolo-grp-3"), 0);
	/* Made, but the answer lost: the retry reuses it. */
	test_fake_flw_mode("dedicated_account", "created_fail500", 1);
	assert_int_equal(p->ops->create_va(p, &req, &out), ERR_UNAVAILABLE);
	assert_int_equal(p->ops->create_va(p, &req, &out), 0);
	assert_int_equal(test_fake_flw_accounts_created("kolo-grp-3"), 1);
	pay_free_raw(&out.raw_json);
}

static void
test_wrong_key_is_refused_without_leaking_it(void **state)
{
	pay_provider *p = provider_with(test_fake_flw_url(), "sk_test_wrong-key", 5000);
	pay_va_request req = {.tx_ref = "kolo-grp-4", .group_name = "Ajo", .email = ""};
	pay_va_result out;

	(void)state;
	assert_int_equal(p->ops->create_va(p, &req, &out), ERR_UNAVAILABLE);
	assert_string_equal(err_last()->reason, "provider_auth");
	assert_non_null(strstr(err_last()->message, "Invalid key"));
	assert_null(strstr(err_last()->message, "sk_test"));
	p->ops->destroy(p);
}

static void
test_config_is_checked(void **state)
{
	pay_paystack_config cfg = {.base_url = "http://example.com",
				   .secret_key = SECRET_KEY,
				   .account_email = MAILBOX,
				   .timeout_ms = 1000};
	pay_provider *p = NULL;

	(void)state;
	assert_int_equal(pay_paystack_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_config");
	cfg.base_url = "https://api.paystack.co";
	cfg.account_email = "no-at-sign";
	assert_int_equal(pay_paystack_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.account_email = NULL;
	assert_int_equal(pay_paystack_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	/* Too long to plus-address with a group's tx_ref. */
	cfg.account_email = "a-very-long-local-part-x@kolo.example";
	assert_int_equal(pay_paystack_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.account_email = MAILBOX;
	cfg.secret_key = "";
	assert_int_equal(pay_paystack_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.secret_key = "sk\nx";
	assert_int_equal(pay_paystack_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	cfg.secret_key = SECRET_KEY;
	cfg.timeout_ms = 0;
	assert_int_equal(pay_paystack_new(&p, &cfg), ERR_INVALID_ARGUMENT);
	assert_null(p);
	cfg.timeout_ms = 1000;
	assert_int_equal(pay_paystack_new(&p, &cfg), 0);
	p->ops->destroy(p);
}

/* --- transfers ------------------------------------------------------------ */

static void
test_transfer_pending_then_settled(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to(REF("01"), 150075);
	pay_transfer_result out, got;
	char *sent;

	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_PENDING);
	assert_memory_equal(out.provider_id, "TRF_", 4);
	assert_int_equal(out.amount_kobo, 150075);
	pay_free_raw(&out.raw_json);
	/* Integer kobo, from the balance, to the recipient made first. */
	sent = test_fake_flw_last_body("/transfer");
	assert_non_null(strstr(sent, "\"amount\":150075"));
	assert_non_null(strstr(sent, "\"source\":\"balance\""));
	assert_non_null(strstr(sent, "\"recipient\":\"RCP_"));
	assert_non_null(strstr(sent, "\"reference\":\"" REF("01") "\""));
	free(sent);
	sent = test_fake_flw_last_body("/transferrecipient");
	assert_non_null(strstr(sent, "\"type\":\"nuban\""));
	assert_non_null(strstr(sent, "\"bank_code\":\"058\""));
	free(sent);

	test_fake_flw_transfer_status(REF("01"), "success");
	assert_int_equal(p->ops->get_transfer(p, REF("01"), NULL, &got), 0);
	assert_int_equal(got.status, PAY_TRANSFER_SUCCESS);
	assert_int_equal(got.amount_kobo, 150075);
	pay_free_raw(&got.raw_json);
	/* Reversed later: money came back, the transfer failed. */
	test_fake_flw_transfer_status(REF("01"), "reversed");
	assert_int_equal(p->ops->get_transfer(p, REF("01"), NULL, &got), 0);
	assert_int_equal(got.status, PAY_TRANSFER_FAILED);
	assert_non_null(strstr(got.message, "Insufficient balance"));
	pay_free_raw(&got.raw_json);
}

static void
test_transfer_immediate_outcomes(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to(REF("02"), 5000);
	pay_transfer_result out;

	test_fake_flw_mode("transfer", "succeed_immediately", 1);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_SUCCESS);
	pay_free_raw(&out.raw_json);
	test_fake_flw_mode("transfer", "fail_immediately", 1);
	req.reference = REF("03");
	assert_int_equal(p->ops->create_transfer(p, &req, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_FAILED);
	assert_true(out.message[0] != '\0');
	pay_free_raw(&out.raw_json);
}

static void
test_repeated_reference_creates_no_second_transfer(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to(REF("04"), 7000);
	pay_transfer_result a, b;

	assert_int_equal(p->ops->create_transfer(p, &req, &a), 0);
	/* Paystack refuses the reference it has seen: we read the transfer. */
	assert_int_equal(p->ops->create_transfer(p, &req, &b), 0);
	assert_string_equal(a.provider_id, b.provider_id);
	assert_int_equal(test_fake_flw_transfers_created(REF("04")), 1);
	pay_free_raw(&a.raw_json);
	pay_free_raw(&b.raw_json);
}

static void
test_transfer_refusals(void **state)
{
	pay_provider *p = *state;
	pay_transfer_request req = transfer_to(REF("05"), 7000);
	pay_transfer_result out;

	/* A reference Paystack would refuse is not sent. */
	req.reference = "Payout-1";
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bad_provider_request");
	assert_int_equal(test_fake_flw_requests("/transferrecipient"), 0);
	/* An account Paystack cannot pay: refused, nothing sent. */
	req = transfer_to(REF("05"), 7000);
	req.account_number = "0000000000";
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "provider_refused");
	assert_int_equal(test_fake_flw_transfers_created(REF("05")), 0);
	req = transfer_to(REF("05"), 0);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_INVALID_ARGUMENT);
	assert_int_equal(p->ops->get_transfer(p, REF("99"), NULL, &out), ERR_NOT_FOUND);
}

/* kolo_provider_calls_total{provider="paystack",outcome} in this
 * process's exposition (0 when absent). */
static long
provider_calls(const char *outcome)
{
	char *text = NULL, series[128];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *at;
	long n = 0;

	assert_non_null(f);
	metrics_write(f);
	fclose(f);
	snprintf(series, sizeof(series),
		 "\nkolo_provider_calls_total{provider=\"paystack\",outcome=\"%s\"} ", outcome);
	at = strstr(text, series);
	if (at)
		n = strtol(at + strlen(series), NULL, 10);
	free(text);
	return n;
}

static void
test_transfer_5xx_and_timeouts(void **state)
{
	long answered_5xx = provider_calls("5xx"), unanswered = provider_calls("transport_error");
	pay_provider *p = *state;
	pay_provider *slow = provider_with(test_fake_flw_url(), SECRET_KEY, 300);
	pay_transfer_request req = transfer_to(REF("06"), 9000);
	pay_transfer_result out;
	pay_charge charge;

	test_fake_flw_mode("transfer", "fail500", 1);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_UNAVAILABLE);
	assert_int_equal(test_fake_flw_transfers_created(REF("06")), 0);
	/* Made, then 500: the outcome is unknown; asking finds it. */
	test_fake_flw_mode("transfer", "created_fail500", 1);
	assert_int_equal(p->ops->create_transfer(p, &req, &out), ERR_UNAVAILABLE);
	assert_int_equal(p->ops->get_transfer(p, REF("06"), NULL, &out), 0);
	assert_int_equal(out.status, PAY_TRANSFER_PENDING);
	pay_free_raw(&out.raw_json);
	test_fake_flw_mode("transfer", "slow:1500", 1);
	req.reference = REF("07");
	assert_int_equal(slow->ops->create_transfer(slow, &req, &out), ERR_DEADLINE_EXCEEDED);
	assert_string_equal(err_last()->reason, "provider_timeout");
	test_fake_flw_mode("verify", "slow:1500", 1);
	assert_int_equal(slow->ops->verify_charge(slow, "dva-ref-slow", &charge),
			 ERR_DEADLINE_EXCEEDED);
	slow->ops->destroy(slow);
	/* Each HTTP exchange counted by its outcome (shared/metrics). */
	assert_int_equal(provider_calls("5xx"), answered_5xx + 2);
	assert_int_equal(provider_calls("transport_error"), unanswered + 2);
	assert_true(provider_calls("2xx") >= 1);
}

/* --- deposits ------------------------------------------------------------- */

static void
register_charge(const char *reference, int64_t kobo, int64_t fees, const char *account,
		const char *status)
{
	char body[512];

	snprintf(body, sizeof(body),
		 "{\"reference\":\"%s\",\"amount\":%lld,\"fees\":%lld,\"currency\":\"NGN\","
		 "\"status\":\"%s\",\"account_number\":\"%s\"}",
		 reference, (long long)kobo, (long long)fees, status, account);
	test_fake_flw_control("transaction", body);
}

static void
test_verify_charge(void **state)
{
	pay_provider *p = *state;
	pay_charge c;

	register_charge("dva-ref-0001", 2500000000LL, 30000, "9876543210", "success");
	assert_int_equal(p->ops->verify_charge(p, "dva-ref-0001", &c), 0);
	assert_string_equal(c.id, "dva-ref-0001");
	assert_int_equal(c.amount_kobo, 2500000000LL);
	assert_int_equal(c.fee_kobo, 30000);
	assert_string_equal(c.currency, "NGN");
	assert_string_equal(c.account_number, "9876543210");
	assert_string_equal(c.tx_ref, "");
	assert_true(c.successful);
	pay_free_raw(&c.raw_json);

	register_charge("dva-ref-0002", 5000, 0, "9876543210", "failed");
	assert_int_equal(p->ops->verify_charge(p, "dva-ref-0002", &c), 0);
	assert_false(c.successful);
	pay_free_raw(&c.raw_json);

	test_fake_flw_mode("verify", "mismatch_amount", 1);
	assert_int_equal(p->ops->verify_charge(p, "dva-ref-0002", &c), 0);
	assert_int_equal(c.amount_kobo, 5100);
	pay_free_raw(&c.raw_json);

	/* Unknown: the charge does not exist (not a retry). */
	assert_int_equal(p->ops->verify_charge(p, "dva-ref-none", &c), ERR_INVALID_ARGUMENT);
	assert_null(c.raw_json);
	test_fake_flw_mode("verify", "fail500", 1);
	assert_int_equal(p->ops->verify_charge(p, "dva-ref-0001", &c), ERR_UNAVAILABLE);
	assert_int_equal(p->ops->verify_charge(p, "../x", &c), ERR_INVALID_ARGUMENT);
}

static void
test_verify_charge_odd_shapes(void **state)
{
	static const char *const bad[] = {
		/* fractions of kobo, a string amount, a negative fee, another
		 * reference, not json */
		"{\"status\":true,\"data\":{\"reference\":\"dva-odd\",\"amount\":100.5,"
		"\"currency\":\"NGN\",\"status\":\"success\"}}",
		"{\"status\":true,\"data\":{\"reference\":\"dva-odd\",\"amount\":\"100\","
		"\"currency\":\"NGN\",\"status\":\"success\"}}",
		"{\"status\":true,\"data\":{\"reference\":\"dva-odd\",\"amount\":100,"
		"\"fees\":-1,\"currency\":\"NGN\",\"status\":\"success\"}}",
		"{\"status\":true,\"data\":{\"reference\":\"dva-other\",\"amount\":100,"
		"\"currency\":\"NGN\",\"status\":\"success\"}}",
		"not json",
	};
	pay_provider *p = *state;
	pay_charge c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_pack("{s:s, s:s}", "reference", "dva-odd", "reply_raw", bad[i]);
		char *body = json_dumps(j, JSON_COMPACT);

		test_fake_flw_control("transaction", body);
		free(body);
		json_decref(j);
		assert_int_equal(p->ops->verify_charge(p, "dva-odd", &c), ERR_INTERNAL);
		assert_string_equal(err_last()->reason, "provider_bad_reply");
		assert_null(c.raw_json);
	}
	/* status false: refused. */
	test_fake_flw_control("transaction",
			      "{\"reference\":\"dva-odd\",\"reply_raw\":"
			      "\"{\\\"status\\\":false,\\\"message\\\":\\\"no\\\"}\"}");
	assert_int_equal(p->ops->verify_charge(p, "dva-odd", &c), ERR_INVALID_ARGUMENT);
}

/* --- accounts, banks ------------------------------------------------------ */

static void
test_resolve_account_and_a_provider_that_names_another_person(void **state)
{
	pay_provider *p = *state;
	char name[128];

	assert_int_equal(p->ops->resolve_account(p, "058", "0123456789", name, sizeof(name)), 0);
	assert_string_equal(name, "ADAEZE OKAFOR");
	test_fake_flw_mode("resolve", "name_mismatch", 1);
	assert_int_equal(p->ops->resolve_account(p, "058", "0123456789", name, sizeof(name)), 0);
	assert_string_equal(name, "CHUKWUEMEKA BELLO");
	assert_int_equal(p->ops->resolve_account(p, "058", "0000000000", name, sizeof(name)),
			 ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "account_not_found");
	assert_int_equal(p->ops->resolve_account(p, "058", "01234&x=1", name, sizeof(name)),
			 ERR_INVALID_ARGUMENT);
	test_fake_flw_mode("resolve", "fail500", 1);
	assert_int_equal(p->ops->resolve_account(p, "058", "0123456789", name, sizeof(name)),
			 ERR_UNAVAILABLE);
}

static void
test_list_banks(void **state)
{
	pay_provider *p = *state;
	pay_bank *banks = NULL;
	size_t n = 0;
	int wema = 0;

	assert_int_equal(p->ops->list_banks(p, &banks, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		wema |= strcmp(banks[i].code, "035") == 0 &&
			strcmp(banks[i].name, "Wema Bank") == 0;
	assert_true(wema);
	free(banks);
	test_fake_flw_mode("banks", "fail500", 1);
	assert_int_equal(p->ops->list_banks(p, &banks, &n), ERR_UNAVAILABLE);
	assert_null(banks);
}

/* --- webhooks ------------------------------------------------------------- */

static void
sign(char hex[129], const char *key, const char *body)
{
	unsigned char mac[crypto_auth_hmacsha512_BYTES];
	crypto_auth_hmacsha512_state st;

	crypto_auth_hmacsha512_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha512_update(&st, (const unsigned char *)body, strlen(body));
	crypto_auth_hmacsha512_final(&st, mac);
	sodium_bin2hex(hex, 129, mac, sizeof(mac));
}

static int
signed_with(pay_provider *p, const char *name, const char *value, const char *body)
{
	pay_header h[] = {{"content-type", "application/json"}, {name, value}};

	return p->ops->signature_ok(p, h, 2, (const uint8_t *)body, strlen(body));
}

static void
test_signature_is_hmac_sha512_of_the_raw_body(void **state)
{
	static const char body[] = "{\"event\":\"charge.success\",\"data\":{}}";
	pay_provider *p = *state;
	char hex[129], upper[129];

	sign(hex, SECRET_KEY, body);
	assert_int_equal(signed_with(p, "x-paystack-signature", hex, body), 1);
	for (size_t i = 0; i < sizeof(upper); i++)
		upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
	assert_int_equal(signed_with(p, "X-Paystack-Signature", upper, body), 1);
	/* Another body, another key, a cut signature, another header. */
	assert_int_equal(signed_with(p, "x-paystack-signature", hex, "{\"event\":1}"), 0);
	sign(hex, "sk_test_another", body);
	assert_int_equal(signed_with(p, "x-paystack-signature", hex, body), 0);
	sign(hex, SECRET_KEY, body);
	hex[127] = '\0';
	assert_int_equal(signed_with(p, "x-paystack-signature", hex, body), 0);
	sign(hex, SECRET_KEY, body);
	assert_int_equal(signed_with(p, "verif-hash", hex, body), 0);
	assert_int_equal(p->ops->signature_ok(p, NULL, 0, (const uint8_t *)body, strlen(body)), 0);
}

static void
test_parse_events(void **state)
{
	pay_provider *p = *state;
	pay_event ev;
	const char *charge =
		"{\"event\":\"charge.success\",\"data\":{\"id\":302961,\"domain\":\"live\","
		"\"status\":\"success\",\"reference\":\"dva-ref-0001\",\"amount\":2500000000,"
		"\"currency\":\"NGN\",\"channel\":\"dedicated_nuban\",\"fees\":30000,"
		"\"authorization\":{\"channel\":\"dedicated_nuban\","
		"\"receiver_bank_account_number\":\"9876543210\",\"receiver_bank\":\"Wema Bank\","
		"\"sender_name\":\"ADAEZE OKAFOR\"},\"customer\":{\"customer_code\":\"CUS_1\"}}}";
	const char *card = "{\"event\":\"charge.success\",\"data\":{\"reference\":\"r1\","
			   "\"amount\":100,\"authorization\":{\"channel\":\"card\"}}}";

	assert_int_equal(p->ops->parse_event(p, (const uint8_t *)charge, strlen(charge), &ev), 0);
	assert_int_equal(ev.kind, PAY_EVENT_CHARGE);
	assert_string_equal(ev.type, "charge.success");
	assert_string_equal(ev.transaction_id, "dva-ref-0001");
	assert_string_equal(ev.account_number, "9876543210");
	assert_string_equal(ev.tx_ref, "");
	assert_int_equal(ev.amount_kobo, 2500000000LL);
	assert_string_equal(ev.currency, "NGN");

	assert_int_equal(p->ops->parse_event(p, (const uint8_t *)card, strlen(card), &ev), 0);
	assert_int_equal(ev.kind, PAY_EVENT_OTHER);
	{
		const char *t = "{\"event\":\"transfer.reversed\",\"data\":{\"reference\":\"" REF(
			"08") "\",\"status\":\"reversed\"}}";

		assert_int_equal(p->ops->parse_event(p, (const uint8_t *)t, strlen(t), &ev), 0);
		assert_int_equal(ev.kind, PAY_EVENT_TRANSFER);
		assert_string_equal(ev.transfer_ref, REF("08"));
	}
	{
		const char *k = "{\"event\":\"customeridentification.success\",\"data\":{}}";

		assert_int_equal(p->ops->parse_event(p, (const uint8_t *)k, strlen(k), &ev), 0);
		assert_int_equal(ev.kind, PAY_EVENT_OTHER);
		assert_string_equal(ev.type, "customeridentification.success");
	}
}

static void
test_parse_event_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"event\":1}",
		"{\"event\":\"charge.success\"}",
		"{\"event\":\"charge.success\",\"data\":{\"reference\":\"r\",\"amount\":1.5,"
		"\"authorization\":{\"channel\":\"dedicated_nuban\","
		"\"receiver_bank_account_number\":\"9876543210\"}}}",
		"{\"event\":\"charge.success\",\"data\":{\"reference\":\"r\",\"amount\":100,"
		"\"authorization\":{\"channel\":\"dedicated_nuban\"}}}",
		"{\"event\":\"charge.success\",\"data\":{\"reference\":\"a/b\",\"amount\":100,"
		"\"authorization\":{\"channel\":\"dedicated_nuban\","
		"\"receiver_bank_account_number\":\"9876543210\"}}}",
		"{\"event\":\"transfer.success\",\"data\":{}}",
		"{\"event\":\"charge.success\",\"event\":\"transfer.success\",\"data\":{}}",
	};
	pay_provider *p = *state;
	pay_event ev;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
			p->ops->parse_event(p, (const uint8_t *)bad[i], strlen(bad[i]), &ev),
			ERR_INVALID_ARGUMENT);
		assert_int_equal(ev.kind, PAY_EVENT_OTHER);
	}
	assert_int_equal(p->ops->parse_event(p, NULL, 0, &ev), ERR_INVALID_ARGUMENT);
}

/* --- identity checks (customer validation) ------------------------------ */

#define KYC_USER "0b9d7c1e-3f4a-4c2b-9d8e-1a2b3c4d5e6f"

static pay_kyc_request
kyc_of(const char *type, const char *bank_code)
{
	return (pay_kyc_request){.id_type = type,
				 .id_number = "22123456789",
				 .name = "Adaeze Okafor",
				 .user_id = KYC_USER,
				 .bank_code = bank_code,
				 .account_number = bank_code ? "0123456789" : NULL};
}

static void
test_kyc_validates_the_users_customer_and_reads_it_back(void **state)
{
	pay_provider *p = *state;
	pay_kyc_request req = kyc_of("bvn", "058");
	pay_kyc_result r, back;
	char path[128], *sent;
	char *colon;

	assert_true(p->ops->live);
	assert_int_equal(p->ops->kyc_start(p, &req, &r), 0);
	assert_int_equal(r.status, PAY_KYC_PENDING);
	assert_string_equal(r.consent_url, "");
	colon = strchr(r.reference, ':');
	assert_non_null(colon);
	sent = test_fake_flw_last_body("/customer");
	assert_non_null(strstr(sent, "accounts+kyc-" KYC_USER "@kolo.example"));
	assert_non_null(strstr(sent, "\"first_name\":\"Adaeze\""));
	assert_non_null(strstr(sent, "\"last_name\":\"Okafor\""));
	free(sent);
	snprintf(path, sizeof(path), "/customer/%.*s/identification", (int)(colon - r.reference),
		 r.reference);
	sent = test_fake_flw_last_body(path);
	assert_non_null(strstr(sent, "\"bvn\":\"22123456789\""));
	assert_non_null(strstr(sent, "\"country\":\"NG\""));
	free(sent);
	/* The fake identifies at once: the read-back names the person. */
	assert_int_equal(p->ops->kyc_get(p, "bvn", r.reference, &back), 0);
	assert_int_equal(back.status, PAY_KYC_VERIFIED);
	assert_string_equal(back.name, "Adaeze Okafor");
	assert_string_equal(back.reference, r.reference);
	/* The same user again: the same customer. */
	assert_int_equal(p->ops->kyc_start(p, &req, &back), 0);
	assert_memory_equal(back.reference, r.reference, (size_t)(colon - r.reference + 1));
	/* One name (trailing blanks aside) is both first and last name. */
	req.name = "Adaeze  ";
	assert_int_equal(p->ops->kyc_start(p, &req, &back), 0);
	snprintf(path, sizeof(path), "/customer/%.*s/identification",
		 (int)(strchr(back.reference, ':') - back.reference), back.reference);
	sent = test_fake_flw_last_body(path);
	assert_non_null(strstr(sent, "\"first_name\":\"Adaeze\""));
	assert_non_null(strstr(sent, "\"last_name\":\"Adaeze\""));
	free(sent);
}

static void
test_kyc_refusals(void **state)
{
	pay_provider *p = *state;
	pay_kyc_request nin = kyc_of("nin", "058"), bare = kyc_of("bvn", NULL);
	pay_kyc_request ok = kyc_of("bvn", "058");
	pay_kyc_result r;

	assert_int_equal(p->ops->kyc_start(p, &nin, &r), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "kyc_type_unsupported");
	assert_int_equal(p->ops->kyc_start(p, &bare, &r), ERR_INVALID_ARGUMENT);
	assert_string_equal(err_last()->reason, "bank_account_required");
	test_fake_flw_mode("identification", "fail500", 1);
	assert_int_equal(p->ops->kyc_start(p, &ok, &r), ERR_UNAVAILABLE);
	assert_int_equal(r.reference[0], '\0');
	test_fake_flw_mode("identification", "timeout", 1);
	{
		pay_provider *quick = provider_with(test_fake_flw_url(), SECRET_KEY, 300);

		assert_int_equal(quick->ops->kyc_start(quick, &ok, &r), ERR_DEADLINE_EXCEEDED);
		quick->ops->destroy(quick);
	}
	/* References that are not ours, and an unknown customer. */
	assert_int_equal(p->ops->kyc_get(p, "bvn", "CUS_x", &r), ERR_NOT_FOUND);
	assert_int_equal(p->ops->kyc_get(p, "bvn", "CUS_x:abc", &r), ERR_NOT_FOUND);
	assert_int_equal(p->ops->kyc_get(p, "bvn", "../x:1", &r), ERR_NOT_FOUND);
	assert_int_equal(p->ops->kyc_get(p, "bvn", "CUS_nobody:1", &r), ERR_NOT_FOUND);
	assert_int_equal(p->ops->kyc_get(p, "nin", "CUS_nobody:1", &r), ERR_FAILED_PRECONDITION);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_dedicated_account_one_per_group_even_when_asked_twice),
		T(test_dedicated_account_failures_are_unavailable_and_leave_nothing),
		T(test_wrong_key_is_refused_without_leaking_it),
		T(test_config_is_checked),
		T(test_transfer_pending_then_settled),
		T(test_transfer_immediate_outcomes),
		T(test_repeated_reference_creates_no_second_transfer),
		T(test_transfer_refusals),
		T(test_transfer_5xx_and_timeouts),
		T(test_verify_charge),
		T(test_verify_charge_odd_shapes),
		T(test_resolve_account_and_a_provider_that_names_another_person),
		T(test_list_banks),
		T(test_signature_is_hmac_sha512_of_the_raw_body),
		T(test_parse_events),
		T(test_parse_event_garbage),
		T(test_kyc_validates_the_users_customer_and_reads_it_back),
		T(test_kyc_refusals),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, start_fake, stop_fake);
}
