/* The whole money-out story through the gateway, demo provider: three
 * users, a group with two officers, PINs, demo deposits, a request, an
 * approval, PAID, the balance reduced exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

static int64_t
balance(const char *gid, const e2e_user *u)
{
	char path[128];
	e2e_opts o = {.token = u->access};
	e2e_reply r;
	int64_t b;

	snprintf(path, sizeof(path), "/v1/groups/%s/balance", gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	b = json_integer_value(json_object_get(r.json, "balance_kobo"));
	e2e_reply_free(&r);
	return b;
}

static void
test_the_whole_story(void **state)
{
	e2e_user owner, treasurer, member;
	char gid[64], wid[64], path[160], body[512];
	e2e_opts o = {0};
	e2e_reply r;

	e2e_register(&owner, "w-owner");
	e2e_register(&treasurer, "w-treasurer");
	e2e_register(&member, "w-member");
	o.token = owner.access;
	o.body = "{\"name\":\"Alumni 2009\"}";
	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	snprintf(gid, sizeof(gid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	e2e_add_member(gid, &owner, &treasurer, "TREASURER");
	e2e_add_member(gid, &owner, &member, "MEMBER");
	e2e_set_pin(&owner, "135790");
	e2e_set_pin(&treasurer, "135790");
	e2e_set_pin(&member, "135790");

	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", gid);
	o.body = "{\"amount_kobo\":300000}";
	e2e_expect(NULL, "POST", path, &o, 201, "");
	o.body = "{\"amount_kobo\":200000}";
	e2e_expect(NULL, "POST", path, &o, 201, "");
	assert_int_equal(balance(gid, &member), 500000);

	/* A MEMBER cannot request; an officer can. */
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", gid);
	snprintf(body, sizeof(body),
		 "{\"amount_kobo\":120000,\"reason\":\"Reunion venue\",\"pin\":\"135790\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
		 "\"account_name\":\"Tunde Bakare\"}}");
	o.token = member.access;
	o.body = body;
	e2e_expect(NULL, "POST", path, &o, 403, "officer_only");
	o.token = owner.access;
	o.header = "Idempotency-Key: venue-1";
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(wid, sizeof(wid), "%s", e2e_str(&r, "id"));
	assert_string_equal(e2e_str(&r, "status"), "PENDING");
	assert_int_equal(json_array_size(json_object_get(r.json, "approvals")), 1);
	assert_int_equal(json_integer_value(json_object_get(r.json, "approvals_required")), 2);
	e2e_reply_free(&r);
	/* The same Idempotency-Key gives the same request, marked a replay. */
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_string_equal(e2e_str(&r, "id"), wid);
	assert_string_equal(r.replayed, "true");
	assert_true(json_is_true(json_object_get(r.json, "replayed")));
	e2e_reply_free(&r);
	/* ... but not another request under the same key. */
	snprintf(body, sizeof(body),
		 "{\"amount_kobo\":120000,\"reason\":\"Reunion venue\",\"pin\":\"135790\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456780\","
		 "\"account_name\":\"Tunde Bakare\"}}");
	e2e_expect(&r, "POST", path, &o, 409, "idempotency_key_used");
	assert_string_equal(r.replayed, "");
	e2e_reply_free(&r);
	o.header = NULL;

	/* Wrong PIN, the requester again, then the treasurer. */
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/approve", wid);
	o.token = treasurer.access;
	o.body = "{\"pin\":\"000000\"}";
	e2e_expect(NULL, "POST", path, &o, 403, "pin_incorrect");
	o.token = owner.access;
	o.body = "{\"pin\":\"135790\"}";
	e2e_expect(NULL, "POST", path, &o, 409, "already_approved");
	o.token = treasurer.access;
	e2e_expect(&r, "POST", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "PAID");
	assert_true(strlen(e2e_str(&r, "executed_at")) > 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "payout"), "status")),
		"SUCCESS");
	e2e_reply_free(&r);
	assert_int_equal(balance(gid, &member), 380000);
	/* Approving again changes nothing. */
	e2e_expect(NULL, "POST", path, &o, 422, "not_pending");
	assert_int_equal(balance(gid, &member), 380000);

	snprintf(path, sizeof(path), "/v1/withdrawals/%s", wid);
	o.token = member.access;
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "PAID");
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals?status=PAID", gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "withdrawals")), 1);
	e2e_reply_free(&r);

	/* Above the balance is refused. */
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", gid);
	snprintf(body, sizeof(body),
		 "{\"amount_kobo\":380001,\"reason\":\"Too much\",\"pin\":\"135790\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
		 "\"account_name\":\"Tunde Bakare\"}}");
	o.token = owner.access;
	o.body = body;
	e2e_expect(NULL, "POST", path, &o, 422, "insufficient_funds");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_whole_story),
	};

	return cmocka_run_group_tests(tests, e2e_setup, e2e_teardown);
}
