/* REST details through the gateway (issue 21): 405 carries Allow, 201
 * carries Location, unset fields are absent (never null), the ledger's
 * from/to are RFC 3339 only, and the payout and entry routes (GetPayout,
 * ListPayouts, GetEntry) for members and nobody else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"

#define PIN_BODY "{\"pin\":\"135790\"}"

/* The reply's header name, asserted present. */
static const char *
header(const e2e_reply *r, const char *name)
{
	static char value[512];

	if (!e2e_header(r, name, value, sizeof(value)))
		fail_msg("no %s header in:\n%s", name, r->headers);
	return value;
}

/* A group of owner (PIN set) with treasurer (PIN set), 500,000 kobo in. */
typedef struct book {
	e2e_user owner, treasurer, stranger;
	char gid[64];
	char entry_id[64];
} book;

static void
open_book(book *b, const char *tag)
{
	char path[160], body[256], location[256];
	e2e_opts o = {0};
	e2e_reply r;

	e2e_register(&b->owner, tag);
	e2e_register(&b->treasurer, tag);
	e2e_register(&b->stranger, tag);
	e2e_group(b->gid, &b->owner, "REST book");
	o.token = b->owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/members", b->gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"TREASURER\"}",
		 b->treasurer.email);
	o.body = body;
	e2e_expect(NULL, "POST", path, &o, 201, "");
	o.body = PIN_BODY;
	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
	o.token = b->treasurer.access;
	e2e_expect(NULL, "POST", "/v1/me/pin", &o, 201, "");
	o.token = b->owner.access;
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", b->gid);
	o.body = "{\"amount_kobo\":500000}";
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(b->entry_id, sizeof(b->entry_id), "%s",
		 json_string_value(json_object_get(json_object_get(r.json, "entry"), "id")));
	/* The deposit's Location is its ledger entry (GetEntry). */
	snprintf(location, sizeof(location), "/v1/entries/%s", b->entry_id);
	assert_string_equal(header(&r, "Location"), location);
	e2e_reply_free(&r);
}

static void
withdrawal_body(char *body, size_t cap, int64_t kobo)
{
	snprintf(body, cap,
		 "{\"amount_kobo\":%lld,\"reason\":\"Venue\",\"pin\":\"135790\","
		 "\"beneficiary\":{\"bank_code\":\"058\",\"account_number\":\"0123456789\","
		 "\"account_name\":\"Tunde Bakare\"}}",
		 (long long)kobo);
}

/* Asks for a withdrawal of kobo as owner; its id in wid (64). */
static void
request_withdrawal(const book *b, int64_t kobo, char *wid)
{
	char path[160], body[512], location[160];
	e2e_opts o = {.token = b->owner.access, .body = body};
	e2e_reply r;

	withdrawal_body(body, sizeof(body), kobo);
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", b->gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(wid, 64, "%s", e2e_str(&r, "id"));
	snprintf(location, sizeof(location), "/v1/withdrawals/%s", wid);
	assert_string_equal(header(&r, "Location"), location);
	e2e_reply_free(&r);
}

/* --- 405 Allow ---------------------------------------------------------------- */

static void
test_405_carries_allow(void **state)
{
	e2e_user u;
	char gid[64], path[160];
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	e2e_register(&u, "rest-allow");
	e2e_group(gid, &u, "Allow");
	o.token = u.access;
	e2e_expect(&r, "DELETE", "/v1/groups", &o, 405, "method_not_allowed");
	assert_string_equal(header(&r, "Allow"), "POST, GET, OPTIONS");
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s", gid);
	e2e_expect(&r, "PUT", path, &o, 405, "method_not_allowed");
	assert_string_equal(header(&r, "Allow"), "GET, PATCH, OPTIONS");
	e2e_reply_free(&r);
	e2e_expect(&r, "POST", "/v1/public/abc", NULL, 405, "method_not_allowed");
	assert_string_equal(header(&r, "Allow"), "GET, OPTIONS");
	e2e_reply_free(&r);
	/* OPTIONS (no Origin: not a preflight) answers the same list. */
	e2e_http(&r, "OPTIONS", path, NULL);
	assert_int_equal(r.status, 204);
	assert_string_equal(header(&r, "Allow"), "GET, PATCH, OPTIONS");
	assert_null(e2e_header(&r, "Access-Control-Allow-Origin", path, sizeof(path)));
	e2e_reply_free(&r);
	/* A path of no route stays 404, without Allow. */
	e2e_expect(&r, "DELETE", "/v1/nowhere", NULL, 404, "not_found");
	assert_null(e2e_header(&r, "Allow", path, sizeof(path)));
	e2e_reply_free(&r);
	e2e_http(&r, "OPTIONS", "/v1/nowhere", NULL);
	assert_int_equal(r.status, 404);
	e2e_reply_free(&r);
}

/* --- 201 Location --------------------------------------------------------------- */

static void
test_201_carries_location_of_what_it_made(void **state)
{
	e2e_user owner, member;
	char gid[64], path[256], body[256], location[256];
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	snprintf(body, sizeof(body),
		 "{\"email\":\"rest-loc-%d@example.com\",\"password\":\"" E2E_PASSWORD
		 "\",\"name\":\"Loc\"}",
		 (int)getpid());
	o.body = body;
	e2e_expect(&r, "POST", "/v1/auth/register", &o, 201, "");
	assert_string_equal(header(&r, "Location"), "/v1/me");
	e2e_reply_free(&r);

	e2e_register(&owner, "rest-loc");
	e2e_register(&member, "rest-loc");
	o.token = owner.access;
	o.body = "{\"name\":\"Located\"}";
	e2e_expect(&r, "POST", "/v1/groups", &o, 201, "");
	snprintf(gid, sizeof(gid), "%s", e2e_str(&r, "id"));
	snprintf(location, sizeof(location), "/v1/groups/%s", gid);
	assert_string_equal(header(&r, "Location"), location);
	e2e_reply_free(&r);
	/* The Location is the resource: GET it. */
	o.body = NULL;
	e2e_expect(&r, "GET", location, &o, 200, "");
	assert_string_equal(e2e_str(&r, "name"), "Located");
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/v1/groups/%s/members", gid);
	snprintf(body, sizeof(body), "{\"email\":\"%s\",\"role\":\"MEMBER\"}", member.email);
	o.body = body;
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(location, sizeof(location), "/v1/groups/%s/members/%s", gid, member.id);
	assert_string_equal(header(&r, "Location"), location);
	e2e_reply_free(&r);

	o.body = PIN_BODY;
	e2e_expect(&r, "POST", "/v1/me/pin", &o, 201, "");
	assert_string_equal(header(&r, "Location"), "/v1/me/pin");
	e2e_reply_free(&r);

	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", gid);
	o.body = NULL;
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(location, sizeof(location), "/v1/public/%s", e2e_str(&r, "public_read_token"));
	assert_string_equal(header(&r, "Location"), location);
	e2e_reply_free(&r);
	e2e_expect(NULL, "GET", location, NULL, 200, "");

	/* Not a 201: no Location. */
	e2e_expect(&r, "GET", "/v1/groups", &o, 200, "");
	assert_null(e2e_header(&r, "Location", path, sizeof(path)));
	e2e_reply_free(&r);
}

static void
test_202_proposal_carries_its_location(void **state)
{
	book b;
	char path[160], body[160], location[160];
	e2e_opts o = {.body = body};
	e2e_reply r;

	(void)state;
	open_book(&b, "rest-proposal");
	o.token = b.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s", b.gid);
	snprintf(body, sizeof(body), "{\"account_holder_user_id\":\"%s\"}", b.treasurer.id);
	e2e_expect(&r, "PATCH", path, &o, 202, "");
	snprintf(location, sizeof(location), "/v1/proposals/%s", e2e_str(&r, "id"));
	assert_string_equal(header(&r, "Location"), location);
	e2e_reply_free(&r);
	o.body = NULL;
	e2e_expect(&r, "GET", location, &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "PENDING");
	e2e_reply_free(&r);
	/* A change made at once (200) has none. */
	o.body = "{\"name\":\"Renamed\"}";
	e2e_expect(&r, "PATCH", path, &o, 200, "");
	assert_null(e2e_header(&r, "Location", body, sizeof(body)));
	e2e_reply_free(&r);
}

/* --- unset fields ------------------------------------------------------------------ */

static void
test_unset_fields_are_absent_not_null(void **state)
{
	book b;
	char wid[64], path[160];
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	open_book(&b, "rest-absent");
	request_withdrawal(&b, 1000, wid);
	snprintf(path, sizeof(path), "/v1/withdrawals/%s", wid);
	o.token = b.treasurer.access;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "PENDING");
	/* Not paid: no executed_at, no payout; set ones are there. */
	assert_null(json_object_get(r.json, "executed_at"));
	assert_null(json_object_get(r.json, "payout"));
	assert_true(json_is_string(json_object_get(r.json, "created_at")));
	assert_true(json_is_string(json_object_get(r.json, "expires_at")));
	/* proto3 text without a value is "" (present), not absent. */
	assert_true(json_is_string(json_object_get(r.json, "decline_reason")));
	assert_null(strstr(r.body, "null"));
	e2e_reply_free(&r);
	/* A list too. */
	snprintf(path, sizeof(path), "/v1/groups/%s/withdrawals", b.gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "withdrawals")), 1);
	assert_null(strstr(r.body, "null"));
	e2e_reply_free(&r);
}

/* --- ledger from/to ----------------------------------------------------------------- */

static void
test_ledger_times_are_rfc3339_only(void **state)
{
	static const char *const bad[] = {"yesterday", "now", "2026-01-01", "2026-01-01T00:00:00",
					  /* '+' in a query is a space: send %2B */
					  "2000-01-01T00:00:00+01:00"};
	book b;
	char path[256];
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	open_book(&b, "rest-time");
	o.token = b.owner.access;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "/v1/groups/%s/ledger?from=%s", b.gid, bad[i]);
		e2e_expect(NULL, "GET", path, &o, 400, "invalid_time");
		snprintf(path, sizeof(path), "/v1/groups/%s/ledger?to=%s", b.gid, bad[i]);
		e2e_expect(NULL, "GET", path, &o, 400, "invalid_time");
	}
	snprintf(path, sizeof(path), "/v1/groups/%s/ledger?from=2000-01-01T00:00:00%%2B01:00",
		 b.gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 1);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/ledger?to=2000-01-01T00:00:00Z", b.gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "entries")), 0);
	e2e_reply_free(&r);
}

/* --- GetEntry ------------------------------------------------------------------------ */

static void
test_entry_route_for_members_only(void **state)
{
	book b;
	char path[160];
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	open_book(&b, "rest-entry");
	snprintf(path, sizeof(path), "/v1/entries/%s", b.entry_id);
	o.token = b.treasurer.access;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "id"), b.entry_id);
	assert_string_equal(e2e_str(&r, "group_id"), b.gid);
	assert_string_equal(e2e_str(&r, "type"), "CREDIT");
	assert_int_equal(json_integer_value(json_object_get(r.json, "amount_kobo")), 500000);
	e2e_reply_free(&r);
	/* Someone of another group learns nothing, not even that it exists. */
	o.token = b.stranger.access;
	e2e_expect(NULL, "GET", path, &o, 404, "entry_not_found");
	o.token = b.owner.access;
	e2e_expect(NULL, "GET", "/v1/entries/00000000-0000-4000-8000-000000000000", &o, 404,
		   "entry_not_found");
	e2e_expect(NULL, "GET", "/v1/entries/not-a-uuid", &o, 400, "invalid_path_parameter");
	e2e_expect(NULL, "GET", path, NULL, 401, "missing_token");
}

/* --- GetPayout, ListPayouts ---------------------------------------------------------- */

static void
test_payout_routes_for_members_only(void **state)
{
	book b;
	char wid[64], pid[64], path[200];
	e2e_opts o = {0};
	e2e_reply r;
	json_t *p;

	(void)state;
	open_book(&b, "rest-payout");
	request_withdrawal(&b, 120000, wid);
	/* No payout before approval. */
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/payout", wid);
	o.token = b.owner.access;
	e2e_expect(NULL, "GET", path, &o, 404, "payout_not_found");
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/approve", wid);
	o.token = b.treasurer.access;
	o.body = PIN_BODY;
	e2e_expect(&r, "POST", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "status"), "PAID");
	e2e_reply_free(&r);
	o.body = NULL;

	/* The withdrawal's payout (its latest attempt). */
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/payout", wid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	snprintf(pid, sizeof(pid), "%s", e2e_str(&r, "id"));
	assert_string_equal(e2e_str(&r, "withdrawal_id"), wid);
	assert_string_equal(e2e_str(&r, "group_id"), b.gid);
	assert_string_equal(e2e_str(&r, "status"), "SUCCESS");
	assert_string_equal(e2e_str(&r, "provider"), "demo");
	assert_int_equal(json_integer_value(json_object_get(r.json, "amount_kobo")), 120000);
	assert_int_equal(json_integer_value(json_object_get(r.json, "attempt")), 1);
	assert_true(json_is_true(json_object_get(r.json, "finished")));
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(r.json, "beneficiary"), "account_name")),
			    "Tunde Bakare");
	assert_true(strlen(e2e_str(&r, "executed_at")) > 0);
	e2e_reply_free(&r);

	/* By its own id. */
	snprintf(path, sizeof(path), "/v1/payouts/%s", pid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "withdrawal_id"), wid);
	e2e_reply_free(&r);

	/* The group's payouts, with the status filter. */
	snprintf(path, sizeof(path), "/v1/groups/%s/payouts", b.gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	p = json_object_get(r.json, "payouts");
	assert_int_equal(json_array_size(p), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "id")), pid);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/payouts?status=FAILED", b.gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "payouts")), 0);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/payouts?status=SUCCESS&page_size=1", b.gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "payouts")), 1);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/payouts?status=LOST", b.gid);
	e2e_expect(NULL, "GET", path, &o, 400, "invalid_field");

	/* Someone of another group: not found, all three ways. */
	o.token = b.stranger.access;
	snprintf(path, sizeof(path), "/v1/payouts/%s", pid);
	e2e_expect(NULL, "GET", path, &o, 404, "payout_not_found");
	snprintf(path, sizeof(path), "/v1/withdrawals/%s/payout", wid);
	e2e_expect(NULL, "GET", path, &o, 404, "payout_not_found");
	snprintf(path, sizeof(path), "/v1/groups/%s/payouts", b.gid);
	e2e_expect(&r, "GET", path, &o, 404, "group_not_found");
	assert_null(json_object_get(r.json, "payouts"));
	e2e_reply_free(&r);
	/* Nobody: 401. */
	e2e_expect(NULL, "GET", path, NULL, 401, "missing_token");
	snprintf(path, sizeof(path), "/v1/payouts/%s", pid);
	e2e_expect(NULL, "GET", path, NULL, 401, "missing_token");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_405_carries_allow),
		cmocka_unit_test(test_201_carries_location_of_what_it_made),
		cmocka_unit_test(test_202_proposal_carries_its_location),
		cmocka_unit_test(test_unset_fields_are_absent_not_null),
		cmocka_unit_test(test_ledger_times_are_rfc3339_only),
		cmocka_unit_test(test_entry_route_for_members_only),
		cmocka_unit_test(test_payout_routes_for_members_only),
	};

	return cmocka_run_group_tests(tests, e2e_setup, e2e_teardown);
}
