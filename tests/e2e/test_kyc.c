/* e2e: KYC over HTTP with the demo provider (DESIGN §14): POST and GET
 * /v1/me/kyc, the refusals with their codes, and a demo group's account,
 * which opens without KYC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"

/* An 11-digit number unique to this run, ending in tail (3 digits). */
static void
kyc_number(char out[12], int n, const char *tail)
{
	snprintf(out, 12, "8%05d%02d%s", (int)(getpid() % 100000), n % 100, tail);
}

static void
submit(e2e_user *u, const char *type, const char *number, long status, const char *code,
       e2e_reply *r)
{
	char body[128];
	e2e_opts o = {.token = u->access, .body = body};

	snprintf(body, sizeof(body), "{\"id_type\":\"%s\",\"id_number\":\"%s\"}", type, number);
	e2e_expect(r, "POST", "/v1/me/kyc", &o, status, code);
}

static void
test_kyc_over_http_with_the_demo_provider(void **state)
{
	char number[12], refused[12], other[12];
	e2e_user u, v;
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	e2e_register(&u, "kyc");
	e2e_register(&v, "kyctwo");
	o.token = u.access;
	e2e_expect(&r, "GET", "/v1/me/kyc", &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "none");
	e2e_reply_free(&r);

	submit(&u, "bvn", "1234567890", 400, "invalid_id_number", NULL);
	submit(&u, "passport", "12345678901", 400, "invalid_id_type", NULL);
	kyc_number(refused, 1, "000");
	submit(&u, "bvn", refused, 422, "kyc_rejected", NULL);
	kyc_number(other, 2, "999");
	submit(&u, "bvn", other, 422, "kyc_name_mismatch", NULL);

	kyc_number(number, 3, "468");
	submit(&u, "bvn", number, 200, "", &r);
	assert_string_equal(e2e_str(&r, "status"), "verified");
	assert_string_equal(e2e_str(&r, "last3"), "468");
	assert_null(strstr(r.body, number));
	e2e_reply_free(&r);
	e2e_expect(&r, "GET", "/v1/me/kyc", &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "verified");
	assert_string_equal(e2e_str(&r, "id_type"), "bvn");
	assert_null(strstr(r.body, number));
	e2e_reply_free(&r);

	/* Another account cannot use the same number. */
	submit(&v, "bvn", number, 409, "kyc_id_in_use", NULL);
}

/* The person's bank account (Paystack validates a BVN against it) travels
 * over HTTP; other providers ignore it, but a malformed one is refused. */
static void
test_kyc_bank_account_over_http(void **state)
{
	char body[192], number[12];
	e2e_user u;
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	e2e_register(&u, "kycbank");
	o.token = u.access;
	o.body = body;
	kyc_number(number, 4, "135");
	snprintf(body, sizeof(body),
		 "{\"id_type\":\"bvn\",\"id_number\":\"%s\",\"bank_code\":"
		 "\"058\",\"account_number\":\"12345\"}",
		 number);
	e2e_expect(NULL, "POST", "/v1/me/kyc", &o, 400, "invalid_account_number");
	snprintf(body, sizeof(body),
		 "{\"id_type\":\"bvn\",\"id_number\":\"%s\",\"account_number\":"
		 "\"0123456789\"}",
		 number);
	e2e_expect(NULL, "POST", "/v1/me/kyc", &o, 400, "bank_account_incomplete");
	snprintf(body, sizeof(body),
		 "{\"id_type\":\"bvn\",\"id_number\":\"%s\",\"bank_code\":"
		 "\"058\",\"account_number\":\"0123456789\"}",
		 number);
	e2e_expect(&r, "POST", "/v1/me/kyc", &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "verified");
	assert_null(strstr(r.body, "0123456789"));
	e2e_reply_free(&r);
}

static void
test_demo_account_opens_without_kyc(void **state)
{
	char group[64], path[160];
	e2e_user u;
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	e2e_register(&u, "nokyc");
	e2e_group(group, &u, "No KYC Needed");
	o.token = u.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/account", group);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "active");
	e2e_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kyc_over_http_with_the_demo_provider),
		cmocka_unit_test(test_kyc_bank_account_over_http),
		cmocka_unit_test(test_demo_account_opens_without_kyc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
