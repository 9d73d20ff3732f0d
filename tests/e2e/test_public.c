/* Public transparency through the gateway: the JSON view, the HTML page
 * (also rendered by headless Chromium) and the statement, for anyone with
 * the token; masking; escaping; rotation and revocation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "e2e.h"

static int
setup(void **state)
{
	if (!getenv("KOLO_E2E_URL") || !getenv("KOLO_E2E_OUT")) {
		fprintf(stderr, "KOLO_E2E_URL/KOLO_E2E_OUT are not set: run through run_e2e.sh\n");
		return -1;
	}
	return e2e_setup(state);
}

typedef struct books {
	e2e_user owner, treasurer;
	char gid[64];
	char token[64];
} books;

/* A group with money in and a paid withdrawal to 0123456789. */
static void
open_books(books *b)
{
	char path[160], body[512];
	e2e_opts o = {0};
	e2e_reply r;
	char wid[64];

	e2e_register(&b->owner, "pub-owner");
	e2e_register(&b->treasurer, "pub-treasurer");
	o.token = b->owner.access;
	o.body = "{\"name\":\"<script>alert(1)</script> Ajo\","
		 "\"description\":\"Tuesday & Friday contributions\"}";
	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	snprintf(b->gid, sizeof(b->gid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/members", b->gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"TREASURER\"}",
		 b->treasurer.email);
	o.body = body;
	e2e_expect(NULL, "POST", path, &o, 201, "");
	o.body = "{\"pin\":\"112233\"}";
	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
	o.token = b->treasurer.access;
	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
	o.token = b->owner.access;
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", b->gid);
	o.body = "{\"amount_kobo\":123456789}";
	e2e_expect(NULL, "POST", path, &o, 201, "");
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", b->gid);
	o.body = "{\"amount_kobo\":100000,\"reason\":\"Chairs\",\"pin\":\"112233\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
		 "\"account_name\":\"Kunle Ade\"}}";
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(wid, sizeof(wid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/approve", wid);
	o.token = b->treasurer.access;
	o.body = "{\"pin\":\"112233\"}";
	e2e_expect(NULL, "POST", path, &o, 200, "");
	o.token = b->owner.access;
	o.body = NULL;
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", b->gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(b->token, sizeof(b->token), "%s", e2e_str(&r, "public_read_token"));
	e2e_reply_free(&r);
}

/* Nothing personal in a public body. */
static void
assert_private(const books *b, const char *body)
{
	assert_null(strstr(body, "0123456789"));
	assert_null(strstr(body, b->owner.email));
	assert_null(strstr(body, b->treasurer.email));
	assert_null(strstr(body, b->owner.id));
	assert_null(strstr(body, b->treasurer.id));
	assert_null(strstr(body, "@example.com"));
}

static void
test_public_views_show_the_books_and_nothing_personal(void **state)
{
	books b;
	char path[160];
	e2e_reply r;
	json_t *wd, *gov;

	open_books(&b);
	snprintf(path, sizeof(path), "/v1/public/%s", b.token);
	e2e_expect(&r, "GET", path, NULL, 200, "");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.json, "group"), "name")),
		"<script>alert(1)</script> Ajo");
	assert_int_equal(json_integer_value(json_object_get(r.json, "balance_kobo")), 123356789);
	/* Nothing waits for approval here: nothing is held (DESIGN §13). */
	assert_int_equal(json_integer_value(json_object_get(r.json, "held_kobo")), 0);
	assert_int_equal(json_integer_value(json_object_get(r.json, "available_kobo")), 123356789);
	assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 2);
	wd = json_array_get(json_object_get(r.json, "withdrawals"), 0);
	assert_string_equal(json_string_value(json_object_get(wd, "status")), "PAID");
	assert_string_equal(json_string_value(json_object_get(json_object_get(wd, "beneficiary"),
							      "account_number")),
			    "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
			    "6789");
	assert_string_equal(json_string_value(json_object_get(wd, "requested_by")),
			    "E2E pub-owner");
	/* No ids in public (PublicLedgerEntry, PublicWithdrawal); approvals is a
	 * count, the names are in approved_by; what is not set is absent, not
	 * null (decline_reason of a PAID withdrawal). */
	assert_null(json_object_get(json_array_get(json_object_get(r.json, "entries"), 0), "id"));
	assert_null(json_object_get(wd, "id"));
	assert_int_equal(json_integer_value(json_object_get(wd, "approvals")), 2);
	assert_int_equal(json_array_size(json_object_get(wd, "approved_by")), 2);
	assert_non_null(json_string_value(json_object_get(wd, "executed_at")));
	assert_null(json_object_get(wd, "decline_reason"));
	/* Governance: the treasurer's appointment, recorded while bootstrapping. */
	gov = json_array_get(json_object_get(r.json, "governance"), 0);
	assert_string_equal(json_string_value(json_object_get(gov, "kind")), "add_officer");
	assert_string_equal(json_string_value(json_object_get(gov, "status")), "APPLIED");
	assert_string_equal(json_string_value(json_object_get(gov, "proposed_by")),
			    "E2E pub-owner");
	assert_non_null(
		strstr(json_string_value(json_object_get(gov, "summary")), "E2E pub-treasurer"));
	assert_private(&b, r.body);
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/p/%s", b.token);
	e2e_http(&r, "GET", path, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/html; charset=utf-8");
	assert_non_null(strstr(r.body, "\xe2\x82\xa6"
				       "1,233,567.89"));
	assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt; Ajo"));
	assert_null(strstr(r.body, "<script"));
	assert_non_null(strstr(r.body, "Tuesday &amp; Friday"));
	assert_non_null(strstr(r.body, "id=\"governance\""));
	assert_true(strncmp(r.csp, "default-src 'none'; style-src 'sha256-", 38) == 0);
	assert_private(&b, r.body);
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/p/%s/statement.csv", b.token);
	e2e_http(&r, "GET", path, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, ",1234567.89,123456789,1234567.89,123456789\r\n"));
	assert_null(strstr(r.body, "0123456789"));
	e2e_reply_free(&r);

	/* The token is the capability: someone logged in who is no member of
	 * the group reads the same books (their bearer token is not passed to
	 * the services' reads). */
	{
		e2e_user stranger;
		e2e_opts o = {0};

		e2e_register(&stranger, "pub-stranger");
		o.token = stranger.access;
		snprintf(path, sizeof(path), "/v1/public/%s", b.token);
		e2e_expect(&r, "GET", path, &o, 200, "");
		assert_int_equal(json_integer_value(json_object_get(r.json, "balance_kobo")),
				 123356789);
		e2e_reply_free(&r);
	}
}

static void
test_rotated_and_revoked_tokens_stop_at_once(void **state)
{
	books b;
	char path[160], old[64], pid[64];
	e2e_opts o = {0}, t = {0};
	e2e_reply r;

	open_books(&b);
	snprintf(old, sizeof(old), "%s", b.token);
	o.token = b.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", b.gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(b.token, sizeof(b.token), "%s", e2e_str(&r, "public_read_token"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/public/%s", old);
	e2e_expect(NULL, "GET", path, NULL, 404, "not_found");
	snprintf(path, sizeof(path), "/p/%s/statement.csv", old);
	e2e_expect(NULL, "GET", path, NULL, 404, "not_found");
	snprintf(path, sizeof(path), "/p/%s", old);
	e2e_http(&r, "GET", path, NULL);
	assert_int_equal(r.status, 404);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/public/%s", b.token);
	e2e_expect(NULL, "GET", path, NULL, 200, "");
	/* The group is constituted: revoking is a proposal (202) the
	 * treasurer passes; it acts after the time-lock. */
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", b.gid);
	e2e_expect(&r, "DELETE", path, &o, 202, "");
	assert_string_equal(e2e_str(&r, "kind"), "revoke_public_token");
	assert_string_equal(e2e_str(&r, "status"), "PENDING");
	snprintf(pid, sizeof(pid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/public/%s", b.token);
	e2e_expect(NULL, "GET", path, NULL, 200, "");
	snprintf(path, sizeof(path), "/v1/proposals/%s/approve", pid);
	t.token = b.treasurer.access;
	t.body = "{\"pin\":\"112233\"}";
	e2e_expect(NULL, "POST", path, &t, 200, "");
	e2e_wait_proposal(pid, &b.owner, "APPLIED");
	snprintf(path, sizeof(path), "/v1/public/%s", b.token);
	e2e_expect(NULL, "GET", path, NULL, 404, "not_found");
	e2e_expect(NULL, "GET", "/v1/public/not*a*token", NULL, 400, "invalid_path_parameter");
}

/* The page as a browser renders it: the DOM's text shows the balance. */
static void
test_page_renders_in_headless_chromium(void **state)
{
	books b;
	char cmd[2048], url[256], dom[1 << 16];
	const char *out = getenv("KOLO_E2E_OUT");
	FILE *p;
	size_t n;

	open_books(&b);
	snprintf(url, sizeof(url), "%s/p/%s", getenv("KOLO_E2E_URL"), b.token);
	mkdir(out, 0755);
	snprintf(cmd, sizeof(cmd),
		 "chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
		 " --disable-background-networking --disable-component-update --disable-sync"
		 " --user-data-dir=%s/chromium-profile --window-size=414,896"
		 " --screenshot=%s/public-page.png '%s' >/dev/null 2>&1 &&"
		 " chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
		 " --disable-background-networking --disable-component-update --disable-sync"
		 " --user-data-dir=%s/chromium-profile --dump-dom '%s' 2>/dev/null",
		 out, out, url, out, url);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(dom, 1, sizeof(dom) - 1, p);
	dom[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(dom, "id=\"balance\">\xe2\x82\xa6"
				    "1,233,567.89</div>"));
	assert_null(strstr(dom, "<script>alert"));
	snprintf(cmd, sizeof(cmd), "%s/public-page.png", out);
	{
		struct stat st;

		assert_int_equal(stat(cmd, &st), 0);
		assert_true(st.st_size > 1000);
	}
}

/* ₦250,000,000.00 (25,000,000,000 kobo, DESIGN §14) end to end with the
 * demo provider: two deposits in, one withdrawal out, the balance, the
 * public JSON, page and statement in exact kobo and grouped naira; one
 * kobo more refused at the deposit route and the withdrawal route. */
static void
test_250_million_naira_end_to_end(void **state)
{
	e2e_user owner, treasurer;
	char gid[64], wid[64], token[64], path[160], body[512];
	e2e_opts o = {0};
	e2e_reply r;
	json_t *entries;
	int credits = 0, debits = 0;

	e2e_register(&owner, "big-owner");
	e2e_register(&treasurer, "big-treasurer");
	e2e_group(gid, &owner, "Big Cooperative");
	o.token = owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"TREASURER\"}", treasurer.email);
	o.body = body;
	e2e_expect(NULL, "POST", path, &o, 201, "");
	o.body = "{\"pin\":\"112233\"}";
	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
	o.token = treasurer.access;
	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
	o.token = owner.access;

	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", gid);
	o.body = "{\"amount_kobo\":25000000001}";
	e2e_expect(&r, "POST", path, &o, 400, "amount_too_large");
	assert_non_null(strstr(r.body, "25000000000"));
	e2e_reply_free(&r);
	o.body = "{\"amount_kobo\":99999999999999999999}";
	e2e_http(&r, "POST", path, &o);
	assert_int_equal(r.status, 400);
	e2e_reply_free(&r);
	o.body = "{\"amount_kobo\":25000000000}";
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(r.json, "entry"), "amount_kobo")),
			 25000000000LL);
	e2e_reply_free(&r);
	o.header = "Idempotency-Key: big-2";
	e2e_expect(NULL, "POST", path, &o, 201, "");
	o.header = NULL;

	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", gid);
	o.body = "{\"amount_kobo\":25000000001,\"reason\":\"Land\",\"pin\":\"112233\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
		 "\"account_name\":\"Kunle Ade\"}}";
	e2e_expect(NULL, "POST", path, &o, 400, "amount_too_large");
	o.body = "{\"amount_kobo\":25000000000,\"reason\":\"Land\",\"pin\":\"112233\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
		 "\"account_name\":\"Kunle Ade\"}}";
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(wid, sizeof(wid), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/approve", wid);
	o.token = treasurer.access;
	o.body = "{\"pin\":\"112233\"}";
	e2e_expect(&r, "POST", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "PAID");
	assert_int_equal(json_integer_value(json_object_get(r.json, "amount_kobo")), 25000000000LL);
	e2e_reply_free(&r);
	o.token = owner.access;
	o.body = NULL;
	snprintf(path, sizeof(path), "/v1/groups/%s/balance", gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_integer_value(json_object_get(r.json, "balance_kobo")),
			 25000000000LL);
	assert_int_equal(json_integer_value(json_object_get(r.json, "available_kobo")),
			 25000000000LL);
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(token, sizeof(token), "%s", e2e_str(&r, "public_read_token"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/public/%s", token);
	e2e_expect(&r, "GET", path, NULL, 200, "");
	assert_int_equal(json_integer_value(json_object_get(r.json, "balance_kobo")),
			 25000000000LL);
	entries = json_object_get(r.json, "entries");
	assert_int_equal(json_array_size(entries), 3);
	for (size_t i = 0; i < json_array_size(entries); i++) {
		json_t *e = json_array_get(entries, i);

		assert_int_equal(json_integer_value(json_object_get(e, "amount_kobo")),
				 25000000000LL);
		if (strcmp(json_string_value(json_object_get(e, "type")), "CREDIT") == 0)
			credits++;
		else
			debits++;
	}
	assert_int_equal(credits, 2);
	assert_int_equal(debits, 1);
	assert_int_equal(
		json_integer_value(json_object_get(
			json_array_get(json_object_get(r.json, "withdrawals"), 0), "amount_kobo")),
		25000000000LL);
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/p/%s", token);
	e2e_http(&r, "GET", path, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\xe2\x82\xa6"
				       "250,000,000.00"));
	assert_non_null(strstr(r.body, "-\xe2\x82\xa6"
				       "250,000,000.00"));
	assert_null(strstr(r.body, "2,147,483,"));
	e2e_reply_free(&r);

	/* Oldest first with a running balance: in, in, out. */
	snprintf(path, sizeof(path), "/p/%s/statement.csv", token);
	e2e_http(&r, "GET", path, NULL);
	assert_int_equal(r.status, 200);
	{
		const char *in1 =
			strstr(r.body, ",250000000.00,25000000000,250000000.00,25000000000\r\n");
		const char *in2 =
			strstr(r.body, ",250000000.00,25000000000,500000000.00,50000000000\r\n");
		const char *out =
			strstr(r.body, ",-250000000.00,-25000000000,250000000.00,25000000000\r\n");

		assert_non_null(in1);
		assert_non_null(in2);
		assert_non_null(out);
		assert_true(in1 < in2 && in2 < out);
	}
	e2e_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_views_show_the_books_and_nothing_personal),
		cmocka_unit_test(test_rotated_and_revoked_tokens_stop_at_once),
		cmocka_unit_test(test_250_million_naira_end_to_end),
		cmocka_unit_test(test_page_renders_in_headless_chromium),
	};

	return cmocka_run_group_tests(tests, setup, e2e_teardown);
}
