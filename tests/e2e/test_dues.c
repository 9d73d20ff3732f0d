/* Dues over HTTP (DESIGN §15): bad input stores nothing; a deposit an
 * officer allocates settles a member's dues; the status, the arrears CSV
 * and member statements (JSON and CSV: RFC 4180, a formula-like name
 * guarded); who may read them; the public_dues switch on the public JSON
 * and HTML. A deposit is credited to its member here by the demo (the
 * caller's own); officer allocation is the story test's (lane D). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "test_pg.h"

#define PIN "246810"

typedef struct club {
	e2e_user owner, payer, late;
	char gid[64];
	char dues_id[64];
	char today[11];
} club;

/* Owner (PIN), a member who pays, a member (named like a formula) who
 * does not; weekly dues of N10 from today. */
static void
open_club(club *c)
{
	char path[160];
	e2e_opts o = {0};
	e2e_reply r;

	e2e_register(&c->owner, "dues-owner");
	e2e_register(&c->payer, "dues-payer");
	e2e_register_named(&c->late, "dues-late", "=HYPERLINK(\\\"x\\\"), Ade");
	e2e_group(c->gid, &c->owner, "Dues club");
	e2e_add_member(c->gid, &c->owner, &c->payer, "MEMBER");
	e2e_add_member(c->gid, &c->owner, &c->late, "MEMBER");
	e2e_set_pin(&c->owner, PIN);
	o.token = c->owner.access;
	e2e_wat_day(c->today, 0, 0);
	snprintf(path, sizeof(path), "/v1/groups/%s/dues", c->gid);
	{
		char body[256];

		snprintf(body, sizeof(body),
			 "{\"name\":\"Weekly "
			 "dues\",\"amount_kobo\":1000,\"period\":\"weekly\","
			 "\"starts_on\":\"%s\"}",
			 c->today);
		o.body = body;
		e2e_expect(&r, "POST", path, &o, 201, "");
	}
	assert_string_equal(e2e_str(&r, "period"), "weekly");
	snprintf(c->dues_id, sizeof(c->dues_id), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
}

static void
test_bad_dues_store_nothing(void **state)
{
	club c;
	char path[160];
	e2e_opts o = {0};
	e2e_reply r;
	static const struct {
		const char *body, *code;
	} bad[] = {
		{"{\"name\":\"D\",\"amount_kobo\":0,\"period\":\"monthly\","
		 "\"starts_on\":\"2027-01-31\"}",
		 "invalid_dues_amount"},
		{"{\"name\":\"D\",\"amount_kobo\":5,\"period\":\"daily\","
		 "\"starts_on\":\"2027-01-31\"}",
		 "invalid_period"},
		{"{\"name\":\"D\",\"amount_kobo\":5,\"period\":\"monthly\","
		 "\"starts_on\":\"2027-02-29\"}",
		 "invalid_date"},
		{"{\"name\":\"D\",\"amount_kobo\":5,\"period\":\"monthly\","
		 "\"starts_on\":\"2027-01-31\","
		 "\"ends_on\":\"2027-01-01\"}",
		 "dues_period_order"},
	};

	(void)state;
	open_club(&c);
	o.token = c.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/dues", c.gid);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.body = bad[i].body;
		e2e_expect(NULL, "POST", path, &o, 400, bad[i].code);
	}
	/* A plain member may not define dues. */
	o.token = c.payer.access;
	o.body = "{\"name\":\"D\",\"amount_kobo\":5,\"period\":\"once\","
		 "\"starts_on\":\"2027-01-31\"}";
	e2e_expect(NULL, "POST", path, &o, 403, "officer_only");
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(json_object_get(r.json, "dues")), 1);
	e2e_reply_free(&r);
	/* A waiver with a wrong PIN is refused and leaves no waiver. */
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/%s/waivers", c.gid, c.dues_id);
	{
		char body[256];

		o.token = c.owner.access;
		snprintf(body, sizeof(body),
			 "{\"user_id\":\"%s\",\"due_on\":\"%s\",\"reason\":"
			 "\"sick\",\"pin\":\"000000\"}",
			 c.late.id, c.today);
		o.body = body;
		e2e_expect(NULL, "POST", path, &o, 403, "pin_incorrect");
	}
}

/* GET path as a CSV: 200 and text/csv expected. */
static void
get_csv(e2e_reply *r, const char *path, const e2e_opts *o)
{
	e2e_http(r, "GET", path, o);
	if (r->status != 200)
		fail_msg("GET %s: got %ld (%s)", path, r->status, r->body);
	assert_string_equal(r->content_type, "text/csv; charset=utf-8");
}

static void
test_status_csv_statement_and_public_page(void **state)
{
	club c;
	char path[200], entry[64], token[80];
	e2e_opts o = {0};
	e2e_reply r;
	json_t *members, *dues;

	(void)state;
	open_club(&c);
	o.token = c.owner.access;
	/* The payer's own demo deposit (no sender account: credited to the
	 * caller, as the demo stands in for their bank transfer). */
	o.token = c.payer.access;
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", c.gid);
	o.body = "{\"amount_kobo\":1000}";
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(entry, sizeof(entry), "%s",
		 json_string_value(json_object_get(json_object_get(r.json, "entry"), "id")));
	e2e_reply_free(&r);

	/* Status: the payer is paid up, the owner and the late member owe
	 * (an officer sees everyone). */
	o.body = NULL;
	o.token = c.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/status", c.gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_string_equal(e2e_str(&r, "as_of"), c.today);
	members = json_object_get(r.json, "members");
	assert_int_equal(json_array_size(members), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *m = json_array_get(members, i);
		const char *id = json_string_value(json_object_get(m, "user_id"));
		long long arrears = json_integer_value(json_object_get(m, "arrears_kobo"));

		assert_int_equal(json_integer_value(json_object_get(m, "owed_kobo")), 1000);
		assert_int_equal(arrears, strcmp(id, c.payer.id) == 0 ? 0 : 1000);
	}
	assert_int_equal(json_integer_value(json_object_get(r.json, "attributed_kobo")), 1000);
	e2e_reply_free(&r);
	/* A plain member sees their own row only, and the group's totals. */
	o.token = c.late.access;
	e2e_expect(&r, "GET", path, &o, 200, "");
	members = json_object_get(r.json, "members");
	assert_int_equal(json_array_size(members), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(members, 0), "user_id")),
		c.late.id);
	assert_int_equal(json_integer_value(json_object_get(r.json, "attributed_kobo")), 1000);
	e2e_reply_free(&r);
	/* as_of at most a year ahead. */
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/status?as_of=9999-12-31", c.gid);
	e2e_expect(NULL, "GET", path, &o, 400, "as_of_too_late");

	/* The arrears CSV: officers only; the owner and the late member, not
	 * the payer; the name quoted (comma, quotes) and guarded (leading =). */
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/arrears.csv?as_of=%s", c.gid, c.today);
	e2e_expect(NULL, "GET", path, &o, 403, "officer_only");
	o.token = c.owner.access;
	get_csv(&r, path, &o);
	assert_true(strncmp(r.body, "as_of,user_id,name,owed_naira,owed_kobo,", 40) == 0);
	assert_null(strstr(r.body, c.payer.id));
	assert_non_null(strstr(r.body, c.owner.id));
	assert_non_null(strstr(r.body, "\"'=HYPERLINK(\"\"x\"\"), Ade\",10.00,1000,0.00,0,0.00,0,"
				       "10.00,1000,\r\n"));
	e2e_reply_free(&r);

	/* The payer's statement: the due, then the deposit that settled it. */
	o.token = c.payer.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement", c.gid, c.payer.id);
	e2e_expect(&r, "GET", path, &o, 200, "");
	{
		json_t *lines = json_object_get(r.json, "lines");

		assert_int_equal(json_array_size(lines), 2);
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(lines, 0), "kind")),
			"due");
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(lines, 0), "settled_on")),
			c.today);
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(lines, 1), "entry_id")),
			entry);
		assert_int_equal(json_integer_value(
					 json_object_get(json_array_get(lines, 1), "balance_kobo")),
				 0);
	}
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement.csv", c.gid, c.payer.id);
	get_csv(&r, path, &o);
	assert_true(strncmp(r.body, "date,kind,description,dues_id,entry_id,amount_naira,", 52) ==
		    0);
	{
		char due[256], paid[256];

		snprintf(due, sizeof(due), "%s,due,Weekly dues,%s,,10.00,1000,10.00,1000,%s\r\n",
			 c.today, c.dues_id, c.today);
		snprintf(paid, sizeof(paid), ",contribution,deposit,,%s,-10.00,-1000,0.00,0,\r\n",
			 entry);
		assert_non_null(strstr(r.body, due));
		assert_non_null(strstr(r.body, paid));
	}
	e2e_reply_free(&r);
	/* Another member's statement: officers only; a bad as_of is 400. */
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement.csv", c.gid, c.owner.id);
	e2e_expect(NULL, "GET", path, &o, 403, "officer_only");
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement?as_of=2027-02-30", c.gid,
		 c.payer.id);
	e2e_expect(NULL, "GET", path, &o, 400, "invalid_date");
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement.csv?as_of=9999-12-31",
		 c.gid, c.payer.id);
	e2e_expect(NULL, "GET", path, &o, 400, "as_of_too_late");

	/* Public page: no dues until the OWNER turns it on. */
	o.token = c.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", c.gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(token, sizeof(token), "%s", e2e_str(&r, "public_read_token"));
	e2e_reply_free(&r);
	o.token = NULL;
	snprintf(path, sizeof(path), "/v1/public/%s", token);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_null(json_object_get(r.json, "dues"));
	e2e_reply_free(&r);
	o.token = c.payer.access;
	o.body = "{\"public_dues\":true}";
	snprintf(path, sizeof(path), "/v1/groups/%s", c.gid);
	e2e_expect(NULL, "PATCH", path, &o, 403, "owner_only");
	o.token = c.owner.access;
	e2e_expect(&r, "PATCH", path, &o, 200, "");
	assert_true(json_is_true(json_object_get(r.json, "public_dues")));
	e2e_reply_free(&r);
	o.token = NULL;
	o.body = NULL;
	snprintf(path, sizeof(path), "/v1/public/%s", token);
	e2e_expect(&r, "GET", path, &o, 200, "");
	dues = json_object_get(r.json, "dues");
	assert_int_equal(json_array_size(dues), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *d = json_array_get(dues, i);

		assert_int_equal(json_object_size(d), 2); /* name and paid, never amounts */
		assert_int_equal(json_is_true(json_object_get(d, "paid")),
				 strcmp(json_string_value(json_object_get(d, "name")),
					"E2E dues-payer") == 0);
	}
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/p/%s", token);
	e2e_http(&r, "GET", path, &o);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "<h2>Dues</h2><table id=\"dues\">"));
	assert_non_null(strstr(r.body, "<td>E2E dues-payer</td><td class=\"cr\">Paid"));
	assert_non_null(strstr(r.body, "<td>E2E dues-owner</td><td class=\"dr\">Unpaid"));
	e2e_reply_free(&r);
}

/* A waiver's description runs past a kilobyte of UTF-8 (a long reason in
 * naira signs): the statement CSV writes it whole, guarded when it starts
 * like a formula (the dues is named "=Levy"). */
static void
test_long_guarded_description_in_csv(void **state)
{
	club c;
	char path[200], body[2048], reason[1600], want[1700], levy[64];
	size_t n = 0;
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	open_club(&c);
	o.token = c.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/dues", c.gid);
	snprintf(body, sizeof(body),
		 "{\"name\":\"=Levy\",\"kind\":\"levy\",\"amount_kobo\":500,"
		 "\"period\":\"once\",\"starts_on\":\"%s\"}",
		 c.today);
	o.body = body;
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(levy, sizeof(levy), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	for (int i = 0; i < 490; i++) {
		memcpy(reason + n, "\xe2\x82\xa6", 3); /* ₦ */
		n += 3;
	}
	memcpy(reason + n, "END", 4);
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/%s/waivers", c.gid, levy);
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"reason\":\"%s\",\"pin\":\"" PIN "\"}",
		 c.late.id, reason);
	e2e_expect(NULL, "POST", path, &o, 201, "");
	o.body = NULL;
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement.csv", c.gid, c.late.id);
	get_csv(&r, path, &o);
	snprintf(want, sizeof(want), ",waiver,'=Levy waived: %s,%s,,", reason, levy);
	assert_true(strlen(want) > 1024);
	if (!strstr(r.body, want))
		fail_msg("no whole guarded waiver line in:\n%s", r.body);
	e2e_reply_free(&r);
}

/* The public page goes out without "dues" when the groups service cannot
 * compute them (here: members backdated to 1600 under weekly dues from
 * then, more periods than one call computes). */
static void
test_public_page_without_dues_on_error(void **state)
{
	club c;
	char path[200], token[80];
	e2e_opts o = {0};
	e2e_reply r;

	(void)state;
	open_club(&c);
	o.token = c.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", c.gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(token, sizeof(token), "%s", e2e_str(&r, "public_read_token"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/groups/%s", c.gid);
	o.body = "{\"public_dues\":true}";
	e2e_expect(NULL, "PATCH", path, &o, 200, "");
	free(test_pg_valuef(e2e_db(),
			    "UPDATE group_membership SET joined_at = '1600-01-03'"
			    " WHERE group_id = '%s' RETURNING 1",
			    c.gid));
	free(test_pg_valuef(e2e_db(),
			    "UPDATE group_dues SET starts_on = '1600-01-03'"
			    " WHERE group_id = '%s' RETURNING 1",
			    c.gid));
	o.body = NULL;
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/status", c.gid);
	e2e_http(&r, "GET", path, &o);
	assert_int_not_equal(r.status, 200);
	assert_string_equal(e2e_error_code(&r), "dues_too_many_periods");
	e2e_reply_free(&r);
	o.token = NULL;
	snprintf(path, sizeof(path), "/v1/public/%s", token);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_null(json_object_get(r.json, "dues"));
	assert_non_null(json_object_get(r.json, "entries"));
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/p/%s", token);
	e2e_http(&r, "GET", path, &o);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "<h2>Dues</h2>"));
	e2e_reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_dues_store_nothing),
		cmocka_unit_test(test_status_csv_statement_and_public_page),
		cmocka_unit_test(test_long_guarded_description_in_csv),
		cmocka_unit_test(test_public_page_without_dues_on_error),
	};

	return cmocka_run_group_tests(tests, e2e_setup_db, e2e_teardown);
}
