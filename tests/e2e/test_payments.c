/* Payments through the gateway with the demo provider: a new group's
 * account, demo deposits (with an Idempotency-Key), the balance, banks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "test_pg.h"

/* r answers again, with a replay's body and header, what first did. */
static void
assert_replay_of(const e2e_reply *r, const e2e_reply *first)
{
	assert_string_equal(r->replayed, "true");
	assert_true(json_is_true(json_object_get(r->json, "replayed")));
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r->json, "entry"), "id")),
		json_string_value(json_object_get(json_object_get(first->json, "entry"), "id")));
}

static void
test_group_account_deposits_balance(void **state)
{
	e2e_user owner, stranger;
	char gid[64], path[160], resolve[256];
	e2e_opts as_owner = {0}, as_stranger = {0};
	e2e_reply r, first;

	e2e_register(&owner, "p-owner");
	e2e_register(&stranger, "p-stranger");
	as_owner.token = owner.access;
	as_stranger.token = stranger.access;
	e2e_group(gid, &owner, "Cooperative");

	snprintf(path, sizeof(path), "/v1/groups/%s/account", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "active");
	assert_int_equal(strlen(e2e_str(&r, "virtual_account_number")), 10);
	assert_string_equal(e2e_str(&r, "bank_name"), "Wema Bank");
	assert_string_equal(e2e_str(&r, "provider"), "demo");
	e2e_reply_free(&r);
	e2e_expect(NULL, "GET", path, &as_stranger, 404, "group_not_found");

	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", gid);
	as_owner.body = "{\"amount_kobo\":500000,\"sender_name\":\"Chioma\"}";
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(r.json, "entry"), "amount_kobo")),
			 500000);
	e2e_reply_free(&r);
	as_owner.body = "{\"amount_kobo\":125050}";
	as_owner.header = "Idempotency-Key: dep-2";
	e2e_expect(&first, "POST", path, &as_owner, 201, "");
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_replay_of(&r, &first);
	e2e_reply_free(&r);
	e2e_reply_free(&first);
	as_owner.header = NULL;
	as_owner.body = "{\"amount_kobo\":0}";
	e2e_expect(NULL, "POST", path, &as_owner, 400, "invalid_amount");
	as_stranger.body = "{\"amount_kobo\":100}";
	e2e_expect(NULL, "POST", path, &as_stranger, 404, "group_not_found");
	as_owner.body = NULL;

	snprintf(path, sizeof(path), "/v1/groups/%s/balance", gid);
	e2e_expect(&r, "GET", path, &as_owner, 200, "");
	assert_int_equal(json_integer_value(json_object_get(r.json, "balance_kobo")), 625050);
	e2e_reply_free(&r);

	e2e_expect(&r, "GET", "/v1/banks", &as_owner, 200, "");
	assert_true(json_array_size(json_object_get(r.json, "banks")) >= 1);
	e2e_reply_free(&r);
	/* Resolving is for the group's officers, and needs the group. */
	as_owner.body = "{\"bank_code\":\"058\",\"account_number\":\"0123456789\"}";
	e2e_expect(NULL, "POST", "/v1/banks/resolve", &as_owner, 400, "missing_field");
	snprintf(resolve, sizeof(resolve),
		 "{\"bank_code\":\"058\",\"account_number\":\"0123456789\",\"group_id\":\"%s\"}",
		 gid);
	as_owner.body = resolve;
	e2e_expect(&r, "POST", "/v1/banks/resolve", &as_owner, 200, "");
	assert_true(strlen(e2e_str(&r, "account_name")) > 0);
	e2e_reply_free(&r);
	as_stranger.body = resolve;
	e2e_expect(NULL, "POST", "/v1/banks/resolve", &as_stranger, 404, "group_not_found");
}

/* One Idempotency-Key, the group id typed lower, upper and mixed case: one
 * credit, and the repeats say they are replays. */
static void
test_deposit_key_is_scoped_by_the_group_not_its_spelling(void **state)
{
	e2e_user owner;
	char gid[64], spelled[64], path[160];
	e2e_opts o = {0};
	e2e_reply r, first;

	e2e_register(&owner, "p-case");
	o.token = owner.access;
	e2e_group(gid, &owner, "Case club");

	o.body = "{\"amount_kobo\":70000}";
	o.header = "Idempotency-Key: case-dep-1";
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", gid);
	e2e_expect(&first, "POST", path, &o, 201, "");
	assert_string_equal(first.replayed, "");
	assert_false(json_is_true(json_object_get(first.json, "replayed")));
	for (int mixed = 0; mixed < 2; mixed++) {
		for (size_t i = 0; gid[i]; i++)
			spelled[i] =
				(char)(mixed && i % 2 ? gid[i] : toupper((unsigned char)gid[i]));
		spelled[strlen(gid)] = '\0';
		snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", spelled);
		e2e_expect(&r, "POST", path, &o, 201, "");
		assert_replay_of(&r, &first);
		e2e_reply_free(&r);
	}
	e2e_reply_free(&first);
	o.header = NULL;
	o.body = NULL;
	snprintf(path, sizeof(path), "/v1/groups/%s/balance", gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_integer_value(json_object_get(r.json, "balance_kobo")), 70000);
	e2e_reply_free(&r);
}

static void
test_unsigned_webhook_is_refused(void **state)
{
	e2e_opts o = {.body = "{\"event\":\"charge.completed\",\"data\":{\"id\":42}}",
		      .header = "verif-hash: not-the-secret"};

	e2e_expect(NULL, "POST", "/v1/webhooks/flutterwave", &o, 401, "bad_signature");
}

/* The Paystack route exists and hands the delivery to payments, which
 * (on the demo provider, or any other than paystack) never takes it as
 * signed. */
static void
test_paystack_webhook_route_refuses_what_it_cannot_verify(void **state)
{
	e2e_opts o = {.body = "{\"event\":\"charge.success\",\"data\":{\"reference\":\"r1\"}}",
		      .header = "x-paystack-signature: 00ff"};

	(void)state;
	e2e_expect(NULL, "POST", "/v1/webhooks/paystack", &o, 401, "bad_signature");
}

/* The value of kolo_gateway_webhook_refused_total{reason} now. */
static long
refused(const char *reason)
{
	char label[96];
	const char *at;
	e2e_reply r;
	long n = -1;

	e2e_http(&r, "GET", "/metrics", NULL);
	assert_int_equal(r.status, 200);
	snprintf(label, sizeof(label), "kolo_gateway_webhook_refused_total{reason=\"%s\"} ",
		 reason);
	at = strstr(r.body, label);
	if (at)
		n = strtol(at + strlen(label), NULL, 10);
	e2e_reply_free(&r);
	assert_true(n >= 0);
	return n;
}

static long
db_long(const char *sql)
{
	PGresult *res = PQexec(e2e_db(), sql);
	long n;

	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

/* 21 deliveries with a wrong signature from one address: 10 are kept as
 * headers, length, hash and prefix (never the 60 KB body) and refused 401;
 * 11 are refused 429 with Retry-After and not kept; all counted. */
static void
test_unsigned_webhooks_keep_no_body_and_are_limited_per_address(void **state)
{
	size_t len = 60000;
	char *body = malloc(len + 1);
	e2e_opts o = {.header = "verif-hash: a-guess", .header2 = "X-Forwarded-For: 198.51.100.7"};
	long sigs = refused("bad_signature"), limited = refused("rate_limited");
	int n401 = 0, n429 = 0;

	assert_non_null(body);
	memset(body, 'x', len);
	memcpy(body, "{\"event\":\"charge.completed\",\"pad\":\"", 35);
	memcpy(body + len - 2, "\"}", 3);
	o.body = body;
	for (int i = 0; i < 21; i++) {
		e2e_reply r;

		e2e_http(&r, "POST", "/v1/webhooks/flutterwave", &o);
		if (r.status == 401) {
			assert_string_equal(e2e_error_code(&r), "bad_signature");
			n401++;
		} else {
			assert_int_equal(r.status, 429);
			assert_string_equal(e2e_error_code(&r), "rate_limited");
			assert_true(atoi(r.retry_after) >= 1);
			n429++;
		}
		e2e_reply_free(&r);
	}
	free(body);
	assert_int_equal(n401, 10);
	assert_int_equal(n429, 11);
	assert_int_equal(refused("bad_signature") - sigs, 10);
	assert_int_equal(refused("rate_limited") - limited, 11);
	assert_int_equal(db_long("SELECT count(*) FROM webhook_event"
				 " WHERE client_addr = '198.51.100.7'"),
			 10);
	assert_int_equal(db_long("SELECT count(*) FROM webhook_event"
				 " WHERE client_addr = '198.51.100.7' AND NOT signature_valid"
				 " AND body_bytes = 60000 AND length(body_sha256) = 64"
				 " AND octet_length(raw_payload::text) < 1024"),
			 10);
	/* Another address of the provider still gets through to the check. */
	o.header2 = "X-Forwarded-For: 198.51.100.8";
	o.body = "{}";
	e2e_expect(NULL, "POST", "/v1/webhooks/flutterwave", &o, 401, "bad_signature");
}

/* With KOLO_WEBHOOK_ALLOWED_IPS set, another address is refused before
 * payments is asked: nothing kept, counted. */
static void
test_webhook_from_outside_the_allow_list_is_refused(void **state)
{
	e2e_opts o = {.header = "verif-hash: a-guess",
		      .header2 = "X-Forwarded-For: 203.0.113.9",
		      .body = "{\"event\":\"charge.completed\",\"data\":{\"id\":42}}"};
	long before = refused("address_not_allowed");

	e2e_expect(NULL, "POST", "/v1/webhooks/flutterwave", &o, 403, "address_not_allowed");
	assert_int_equal(refused("address_not_allowed") - before, 1);
	assert_int_equal(db_long("SELECT count(*) FROM webhook_event"
				 " WHERE client_addr = '203.0.113.9'"),
			 0);
}

/* Payer accounts over REST (DESIGN §15): registered, listed, a demo deposit
 * from one credited to its member and one from an unknown account left
 * unallocated, removed. */
static void
test_payer_accounts_and_attributed_demo_deposits(void **state)
{
	e2e_user owner, member;
	char gid[64], path[160], id[64], body[256];
	e2e_opts as_owner = {0}, as_member = {0};
	e2e_reply r;
	json_t *list;

	(void)state;
	e2e_register(&owner, "p-payer-owner");
	e2e_register(&member, "p-payer");
	as_owner.token = owner.access;
	as_member.token = member.access;
	e2e_group(gid, &owner, "Payer club");
	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"MEMBER\"}", member.email);
	as_owner.body = body;
	e2e_expect(NULL, "POST", path, &as_owner, 201, "");

	as_member.body = "{\"bank_code\":\"058\",\"account_number\":\"12345\"}";
	e2e_expect(NULL, "POST", "/v1/me/payer-accounts", &as_member, 400,
		   "invalid_account_number");
	as_member.body = "{\"bank_code\":\"999\",\"account_number\":\"8100000001\"}";
	e2e_expect(NULL, "POST", "/v1/me/payer-accounts", &as_member, 400, "invalid_bank_code");
	as_member.body = "{\"bank_code\":\"058\",\"account_number\":\"8100000001\"}";
	e2e_expect(&r, "POST", "/v1/me/payer-accounts", &as_member, 201, "");
	assert_string_equal(e2e_str(&r, "bank_name"), "GTBank");
	assert_string_equal(e2e_str(&r, "account_number"), "8100000001");
	snprintf(id, sizeof(id), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	/* The owner shares the group: the account is the member's. */
	as_owner.body = as_member.body;
	e2e_expect(NULL, "POST", "/v1/me/payer-accounts", &as_owner, 409, "payer_account_in_use");
	as_member.body = NULL;
	e2e_expect(&r, "GET", "/v1/me/payer-accounts", &as_member, 200, "");
	list = json_object_get(r.json, "payer_accounts");
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "id")), id);
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", gid);
	as_owner.body = "{\"amount_kobo\":250000,\"sender_account_number\":\"8100000001\","
			"\"sender_bank_code\":\"058\"}";
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "entry"), "user_id")),
		member.id);
	e2e_reply_free(&r);
	as_owner.body = "{\"amount_kobo\":150000,\"sender_account_number\":\"8100000099\","
			"\"sender_bank_code\":\"058\"}";
	e2e_expect(&r, "POST", path, &as_owner, 201, "");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "entry"), "user_id")),
		"");
	e2e_reply_free(&r);
	as_owner.body = "{\"amount_kobo\":100,\"sender_account_number\":\"81000\","
			"\"sender_bank_code\":\"058\"}";
	e2e_expect(NULL, "POST", path, &as_owner, 400, "invalid_account_number");
	as_owner.body = NULL;

	snprintf(path, sizeof(path), "/v1/me/payer-accounts/%s", id);
	e2e_expect(NULL, "DELETE", path, &as_owner, 404, "payer_account_not_found");
	e2e_expect(NULL, "DELETE", path, &as_member, 204, "");
	e2e_expect(NULL, "DELETE", path, &as_member, 404, "payer_account_not_found");
	e2e_expect(&r, "GET", "/v1/me/payer-accounts", &as_member, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "payer_accounts")), 0);
	e2e_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_account_deposits_balance),
		cmocka_unit_test(test_deposit_key_is_scoped_by_the_group_not_its_spelling),
		cmocka_unit_test(test_unsigned_webhook_is_refused),
		cmocka_unit_test(test_paystack_webhook_route_refuses_what_it_cannot_verify),
		cmocka_unit_test(test_unsigned_webhooks_keep_no_body_and_are_limited_per_address),
		cmocka_unit_test(test_webhook_from_outside_the_allow_list_is_refused),
		cmocka_unit_test(test_payer_accounts_and_attributed_demo_deposits),
	};

	return cmocka_run_group_tests(tests, e2e_setup_db, e2e_teardown);
}
