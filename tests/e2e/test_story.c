/* Members' contributions through the gateway, demo provider (DESIGN §15):
 * an OWNER, a TREASURER and three members; payer accounts; monthly dues
 * that began a month ago and a one-off levy; two members pay both periods
 * from their registered accounts, the third one period, then late from an
 * account nobody registered (an officer allocates it); a reallocation with
 * its trail; a chargeback; waivers; statements (JSON, CSV) and the arrears
 * CSV exact to the kobo; the public page's paid/unpaid once turned on; the
 * money invariants (tests/fault/invariants.sql) at the end. */
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

#define PIN	  "246810"
#define DUES_KOBO 500000 /* ₦5,000 a month */
#define LEVY_KOBO 250000 /* ₦2,500 once */
#define ARREARS_HEADER                                                                             \
	"as_of,user_id,name,owed_naira,owed_kobo,paid_naira,paid_kobo,waived_naira,"               \
	"waived_kobo,arrears_naira,arrears_kobo,last_paid_at\r\n"

/* ---- days (West Africa Time, UTC+1) ---- */

/* The story computes today's WAT date once (form_group) and expects every
 * standing "as of today" to match it: a run crossing WAT midnight (23:00
 * UTC) would see the day change under it. So when midnight is less than
 * STORY_MIDNIGHT_MARGIN_S away, wait until it has passed; this is a wait
 * before the story, not a timed assertion. The margin is a few times the
 * story's own run (seconds) and small beside the e2e step's ctest timeout
 * (600 s for every program): a 15-minute margin made a run near 23:00 UTC
 * wait 9 minutes and time the whole step out. */
#define STORY_MIDNIGHT_MARGIN_S 180
static void
wait_past_wat_midnight(void)
{
	time_t now = time(NULL);
	long into_day = (long)((now + 3600) % 86400);
	long left = 86400 - into_day;

	if (left >= STORY_MIDNIGHT_MARGIN_S)
		return;
	fprintf(stderr, "test_story: WAT midnight in %lds, waiting for it\n", left);
	while (time(NULL) < now + left + 5)
		sleep(1);
}

/* ---- the story's people and group ---- */

typedef struct story {
	e2e_user owner, treasurer, m[3], stranger;
	char gid[64];
	char dues_id[64], levy_id[64];
	char start[11], today[11], levy_day[11];
	char second[16];  /* the second period's day */
	char acct[3][16]; /* the members' registered accounts */
} story;

static const char *
name_of(const story *s, const char *user_id)
{
	static const char *names[] = {"E2E s-m1", "E2E s-m2", "E2E s-m3"};

	for (int i = 0; i < 3; i++)
		if (strcmp(s->m[i].id, user_id) == 0)
			return names[i];
	return strcmp(user_id, s->owner.id) == 0 ? "E2E s-owner" : "E2E s-treasurer";
}

static json_t *
jget(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		fail_msg("no \"%s\" in %s", key, json_dumps(o, JSON_COMPACT));
	return v;
}

static long long
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *
jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static int64_t
balance(const story *s)
{
	char path[128];
	e2e_opts o = {.token = s->owner.access};
	e2e_reply r;
	int64_t b;

	snprintf(path, sizeof(path), "/v1/groups/%s/balance", s->gid);
	e2e_expect(&r, "GET", path, &o, 200, "");
	b = json_integer_value(json_object_get(r.json, "balance_kobo"));
	e2e_reply_free(&r);
	return b;
}

/* A demo deposit into the group (from `account` at bank 058 when not
 * NULL); its CREDIT's id into entry_id (64 bytes) and its user_id into
 * user_id (64 bytes) when not NULL. */
static void
deposit(const story *s, int64_t kobo, const char *account, const char *sender, char *entry_id,
	char *user_id)
{
	char path[128], body[256];
	e2e_opts o = {.token = s->treasurer.access, .body = body};
	e2e_reply r;
	json_t *entry;

	if (account)
		snprintf(body, sizeof(body),
			 "{\"amount_kobo\":%lld,\"sender_name\":\"%s\","
			 "\"sender_account_number\":\"%s\",\"sender_bank_code\":\"058\"}",
			 (long long)kobo, sender, account);
	else
		snprintf(body, sizeof(body), "{\"amount_kobo\":%lld}", (long long)kobo);
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", s->gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	entry = jget(r.json, "entry");
	assert_int_equal(jint(entry, "amount_kobo"), kobo);
	assert_string_equal(jstr(entry, "type"), "CREDIT");
	snprintf(entry_id, 64, "%s", jstr(entry, "id"));
	if (user_id)
		snprintf(user_id, 64, "%s", jstr(entry, "user_id"));
	e2e_reply_free(&r);
}

/* GET dues/status (as_of "" = today) as `as`; the reply in r. */
static void
dues_status(const story *s, const e2e_user *as, const char *as_of, e2e_reply *r)
{
	char path[192];
	e2e_opts o = {.token = as->access};

	snprintf(path, sizeof(path), "/v1/groups/%s/dues/status%s%s", s->gid,
		 as_of[0] ? "?as_of=" : "", as_of);
	e2e_expect(r, "GET", path, &o, 200, "");
}

static json_t *
member_status(const e2e_reply *r, const char *user_id)
{
	json_t *members = jget(r->json, "members"), *m;
	size_t i;

	json_array_foreach(members, i, m) if (strcmp(jstr(m, "user_id"), user_id) == 0) return m;
	fail_msg("no %s in %s", user_id, r->body);
	return NULL;
}

/* One member's standing today: owed, paid, arrears, credit, waived. */
static void
assert_standing(const story *s, const e2e_user *u, int64_t owed, int64_t paid, int64_t arrears,
		int64_t credit, int64_t waived)
{
	e2e_reply r;
	json_t *m;

	dues_status(s, &s->owner, "", &r);
	m = member_status(&r, u->id);
	if (jint(m, "owed_kobo") != owed || jint(m, "paid_kobo") != paid ||
	    jint(m, "arrears_kobo") != arrears || jint(m, "credit_kobo") != credit ||
	    jint(m, "waived_kobo") != waived)
		fail_msg("%s: want owed %lld paid %lld arrears %lld credit %lld waived %lld: %s",
			 name_of(s, u->id), (long long)owed, (long long)paid, (long long)arrears,
			 (long long)credit, (long long)waived, json_dumps(m, JSON_COMPACT));
	assert_string_equal(jstr(m, "name"), name_of(s, u->id));
	e2e_reply_free(&r);
}

/* The group's books: the balance is the deposits less their reversals
 * (the demo provider keeps no fee, and nothing is paid out here), and
 * every kobo of them is attributed or unallocated. */
static void
assert_books(const story *s, int64_t deposits, int64_t attributed)
{
	e2e_reply r;

	assert_int_equal(balance(s), deposits);
	dues_status(s, &s->treasurer, "", &r);
	assert_int_equal(jint(r.json, "attributed_kobo"), attributed);
	assert_int_equal(jint(r.json, "unallocated_kobo"), deposits - attributed);
	e2e_reply_free(&r);
}

/* Five users, the group, the treasurer and the members; all of them
 * joined two months ago (the suite cannot wait a month: their joining
 * dates are moved back in the database, keeping their order). */
static void
form_group(story *s)
{
	static const char *tags[] = {"s-m1", "s-m2", "s-m3"};
	char sql[512];
	PGresult *res;

	e2e_register(&s->owner, "s-owner");
	e2e_register(&s->treasurer, "s-treasurer");
	for (int i = 0; i < 3; i++)
		e2e_register(&s->m[i], tags[i]);
	e2e_register(&s->stranger, "s-stranger");
	e2e_group(s->gid, &s->owner, "Ikoyi Estate Union");
	e2e_add_member(s->gid, &s->owner, &s->treasurer, "TREASURER");
	for (int i = 0; i < 3; i++)
		e2e_add_member(s->gid, &s->owner, &s->m[i], "MEMBER");
	e2e_set_pin(&s->owner, PIN);
	e2e_set_pin(&s->treasurer, PIN);
	for (int i = 0; i < 3; i++)
		e2e_set_pin(&s->m[i], PIN);
	snprintf(sql, sizeof(sql),
		 "UPDATE group_membership SET joined_at = joined_at - interval '2 months'"
		 " WHERE group_id = '%s'",
		 s->gid);
	res = PQexec(e2e_db(), sql);
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	assert_string_equal(PQcmdTuples(res), "5");
	PQclear(res);
	e2e_wat_day(s->start, 1, 0);
	e2e_wat_day(s->today, 0, 0);
	/* The second period falls on start's day this month (on the 31st,
	 * start is the 30th of a 30-day month, and so is the second period). */
	{
		int y, m, d;

		assert_int_equal(sscanf(s->start, "%d-%d-%d", &y, &m, &d), 3);
		if (++m > 12) {
			m = 1;
			y++;
		}
		snprintf(s->second, sizeof(s->second), "%04d-%02d-%02d", y % 10000, m % 100,
			 d % 100);
	}
	e2e_wat_day(s->levy_day, 0, 14);
}

/* Each member registers the account they pay from (pid-based numbers:
 * other runs' accounts stay out of the way); bad input changes nothing. */
static void
register_payer_accounts(story *s)
{
	char body[256], path[160], extra[64];
	e2e_opts o = {.body = body};
	e2e_reply r;
	json_t *list;

	for (int i = 0; i < 3; i++) {
		snprintf(s->acct[i], sizeof(s->acct[i]), "2%08u%d",
			 (unsigned)((getpid() * 1000L + time(NULL) % 1000) % 100000000), i + 1);
		o.token = s->m[i].access;
		snprintf(body, sizeof(body), "{\"bank_code\":\"058\",\"account_number\":\"%s\"}",
			 s->acct[i]);
		e2e_expect(&r, "POST", "/v1/me/payer-accounts", &o, 201, "");
		assert_string_equal(e2e_str(&r, "bank_code"), "058");
		assert_string_equal(e2e_str(&r, "bank_name"), "GTBank");
		assert_string_equal(e2e_str(&r, "account_number"), s->acct[i]);
		assert_true(strlen(e2e_str(&r, "id")) > 0);
		e2e_reply_free(&r);
	}
	/* Another member of the group cannot take member 1's account. */
	o.token = s->m[1].access;
	snprintf(body, sizeof(body), "{\"bank_code\":\"058\",\"account_number\":\"%s\"}",
		 s->acct[0]);
	e2e_expect(NULL, "POST", "/v1/me/payer-accounts", &o, 409, "payer_account_in_use");
	o.body = "{\"bank_code\":\"058\",\"account_number\":\"12345\"}";
	e2e_expect(NULL, "POST", "/v1/me/payer-accounts", &o, 400, "invalid_account_number");
	o.body = "{\"bank_code\":\"058\",\"account_number\":\"12345abcde\"}";
	e2e_expect(NULL, "POST", "/v1/me/payer-accounts", &o, 400, "invalid_account_number");
	/* Member 2 adds a second account and removes it again. */
	snprintf(body, sizeof(body), "{\"bank_code\":\"044\",\"account_number\":\"3%09u\"}",
		 (unsigned)getpid() % 1000000000u);
	o.body = body;
	e2e_expect(&r, "POST", "/v1/me/payer-accounts", &o, 201, "");
	snprintf(extra, sizeof(extra), "%s", e2e_str(&r, "id"));
	e2e_reply_free(&r);
	o.body = NULL;
	e2e_expect(&r, "GET", "/v1/me/payer-accounts", &o, 200, "");
	list = jget(r.json, "payer_accounts");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(jstr(json_array_get(list, 0), "account_number"), s->acct[1]);
	e2e_reply_free(&r);
	snprintf(path, sizeof(path), "/v1/me/payer-accounts/%s", extra);
	e2e_expect(NULL, "DELETE", path, &o, 204, "");
	/* ... and only its owner could have. */
	e2e_expect(&r, "GET", "/v1/me/payer-accounts", &o, 200, "");
	assert_int_equal(json_array_size(jget(r.json, "payer_accounts")), 1);
	e2e_reply_free(&r);
}

/* Monthly dues from a month ago (two periods due today), a levy due in
 * two weeks; bad input stores nothing. */
static void
define_dues(story *s)
{
	char path[160], body[512];
	e2e_opts o = {.token = s->treasurer.access, .body = body};
	e2e_reply r;
	json_t *list;

	snprintf(path, sizeof(path), "/v1/groups/%s/dues", s->gid);
	snprintf(body, sizeof(body),
		 "{\"name\":\"Monthly dues\",\"amount_kobo\":0,"
		 "\"period\":\"monthly\",\"starts_on\":\"%s\"}",
		 s->start);
	e2e_expect(NULL, "POST", path, &o, 400, "invalid_dues_amount");
	snprintf(body, sizeof(body),
		 "{\"name\":\"Monthly dues\",\"amount_kobo\":%d,"
		 "\"period\":\"fortnightly\",\"starts_on\":\"%s\"}",
		 DUES_KOBO, s->start);
	e2e_expect(NULL, "POST", path, &o, 400, "invalid_period");
	snprintf(body, sizeof(body),
		 "{\"name\":\"Monthly dues\",\"amount_kobo\":%d,"
		 "\"period\":\"monthly\",\"starts_on\":\"%s\",\"ends_on\":\"2020-01-01\"}",
		 DUES_KOBO, s->start);
	e2e_expect(NULL, "POST", path, &o, 400, "dues_period_order");
	snprintf(body, sizeof(body),
		 "{\"name\":\"Monthly dues\",\"amount_kobo\":%d,"
		 "\"period\":\"monthly\",\"starts_on\":\"2026-02-30\"}",
		 DUES_KOBO);
	e2e_expect(NULL, "POST", path, &o, 400, "invalid_date");
	o.token = s->m[0].access;
	snprintf(body, sizeof(body),
		 "{\"name\":\"Monthly dues\",\"amount_kobo\":%d,"
		 "\"period\":\"monthly\",\"starts_on\":\"%s\"}",
		 DUES_KOBO, s->start);
	e2e_expect(NULL, "POST", path, &o, 403, "officer_only");
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(jget(r.json, "dues")), 0);
	e2e_reply_free(&r);

	o.token = s->treasurer.access;
	o.body = body;
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(s->dues_id, sizeof(s->dues_id), "%s", e2e_str(&r, "id"));
	assert_string_equal(e2e_str(&r, "name"), "Monthly dues");
	assert_string_equal(e2e_str(&r, "kind"), "dues");
	assert_string_equal(e2e_str(&r, "period"), "monthly");
	assert_string_equal(e2e_str(&r, "starts_on"), s->start);
	assert_int_equal(jint(r.json, "amount_kobo"), DUES_KOBO);
	assert_string_equal(e2e_str(&r, "created_by"), s->treasurer.id);
	e2e_reply_free(&r);
	snprintf(body, sizeof(body),
		 "{\"name\":\"Gate levy\",\"kind\":\"levy\",\"amount_kobo\":%d,"
		 "\"period\":\"once\",\"starts_on\":\"%s\"}",
		 LEVY_KOBO, s->levy_day);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(s->levy_id, sizeof(s->levy_id), "%s", e2e_str(&r, "id"));
	assert_string_equal(e2e_str(&r, "kind"), "levy");
	e2e_reply_free(&r);

	o.token = s->m[2].access;
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	list = jget(r.json, "dues");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(jstr(json_array_get(list, 0), "id"), s->dues_id);
	assert_string_equal(jstr(json_array_get(list, 1), "id"), s->levy_id);
	e2e_reply_free(&r);
}

/* The officers are let off the dues (all of it): waivers need the PIN
 * and a reason, and only an officer gives them. */
static void
waive_officers(story *s)
{
	char path[160], body[256];
	e2e_opts o = {.token = s->owner.access, .body = body};
	e2e_reply r;

	snprintf(path, sizeof(path), "/v1/groups/%s/dues/%s/waivers", s->gid, s->dues_id);
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"reason\":\"officers serve unpaid\","
		 "\"pin\":\"000000\"}",
		 s->treasurer.id);
	e2e_expect(NULL, "POST", path, &o, 403, "pin_incorrect");
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"" PIN "\"}", s->treasurer.id);
	e2e_expect(NULL, "POST", path, &o, 400, "missing_field");
	o.token = s->m[0].access;
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"reason\":\"me\",\"pin\":\"" PIN "\"}",
		 s->m[0].id);
	e2e_expect(NULL, "POST", path, &o, 403, "officer_only");
	assert_standing(s, &s->treasurer, 2 * DUES_KOBO, 0, 2 * DUES_KOBO, 0, 0);

	o.token = s->owner.access;
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"reason\":\"officers serve unpaid\","
		 "\"pin\":\"" PIN "\"}",
		 s->treasurer.id);
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_string_equal(e2e_str(&r, "user_id"), s->treasurer.id);
	assert_string_equal(e2e_str(&r, "dues_id"), s->dues_id);
	assert_string_equal(e2e_str(&r, "due_on"), "");
	assert_string_equal(e2e_str(&r, "waived_by"), s->owner.id);
	assert_string_equal(e2e_str(&r, "reason"), "officers serve unpaid");
	e2e_reply_free(&r);
	o.token = s->treasurer.access;
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"reason\":\"officers serve unpaid\","
		 "\"pin\":\"" PIN "\"}",
		 s->owner.id);
	e2e_expect(NULL, "POST", path, &o, 201, "");
	/* Both periods of each, waived. */
	assert_standing(s, &s->owner, 0, 0, 0, 0, 2 * DUES_KOBO);
	assert_standing(s, &s->treasurer, 0, 0, 0, 0, 2 * DUES_KOBO);
}

static void
get_text(const char *path, const e2e_user *as, e2e_reply *r)
{
	e2e_opts o = {.token = as->access};

	e2e_http(r, "GET", path, &o);
	if (r->status != 200)
		fail_msg("GET %s: %ld %s", path, r->status, r->body);
	assert_string_equal(r->content_type, "text/csv; charset=utf-8");
}

static void
arrears_csv(const story *s, const char *want)
{
	char path[160];
	e2e_reply r;

	snprintf(path, sizeof(path), "/v1/groups/%s/dues/arrears.csv", s->gid);
	get_text(path, &s->treasurer, &r);
	if (strcmp(r.body, want) != 0)
		fail_msg("arrears.csv:\n%s\nwant:\n%s", r.body, want);
	e2e_reply_free(&r);
}

/* The public page's paid/unpaid list, as "name=paid;" pairs in its order
 * ("" when the page shows none). */
static void
public_dues(const story *s, const char *token, char *out, size_t cap)
{
	char path[160];
	e2e_reply r;
	json_t *dues, *d;
	size_t i, used = 0;

	snprintf(path, sizeof(path), "/v1/public/%s", token);
	e2e_expect(&r, "GET", path, NULL, 200, "");
	assert_null(strstr(r.body, "@example.com"));
	for (int k = 0; k < 3; k++)
		assert_null(strstr(r.body, s->m[k].id));
	out[0] = '\0';
	dues = json_object_get(r.json, "dues");
	json_array_foreach(dues, i, d)
	{
		assert_int_equal(json_object_size(d), 2);
		used += (size_t)snprintf(out + used, cap - used, "%s=%s;", jstr(d, "name"),
					 json_is_true(json_object_get(d, "paid")) ? "paid"
										  : "unpaid");
	}
	e2e_reply_free(&r);
}

/* "-5000.00" of -500000 kobo. */
static void
naira(char out[32], long long kobo)
{
	long long a = kobo < 0 ? -kobo : kobo;

	snprintf(out, 32, "%s%lld.%02lld", kobo < 0 ? "-" : "", a / 100, a % 100);
}

/* A CSV text cell: quoted when it holds a comma or a quote. */
static size_t
csv_cell(char *out, size_t cap, const char *v)
{
	size_t n = 0;

	if (!strpbrk(v, ",\"\r\n"))
		return (size_t)snprintf(out, cap, "%s", v);
	n += (size_t)snprintf(out + n, cap - n, "\"");
	for (; *v && n + 3 < cap; v++) {
		if (*v == '"')
			out[n++] = '"';
		out[n++] = *v;
	}
	n += (size_t)snprintf(out + n, cap - n, "\"");
	return n;
}

/* statement.csv as it must be for a statement's JSON lines. */
static void
statement_csv_want(json_t *lines, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap,
				    "date,kind,description,dues_id,entry_id,"
				    "amount_naira,amount_kobo,balance_naira,balance_kobo,"
				    "settled_on\r\n");
	json_t *l;
	size_t i;

	json_array_foreach(lines, i, l)
	{
		char a[32], b[32];

		naira(a, jint(l, "amount_kobo"));
		naira(b, jint(l, "balance_kobo"));
		n += (size_t)snprintf(out + n, cap - n, "%s,%s,", jstr(l, "date"), jstr(l, "kind"));
		n += csv_cell(out + n, cap - n, jstr(l, "description"));
		n += (size_t)snprintf(out + n, cap - n, ",%s,%s,%s,%lld,%s,%lld,%s\r\n",
				      jstr(l, "dues_id"), jstr(l, "entry_id"), a,
				      jint(l, "amount_kobo"), b, jint(l, "balance_kobo"),
				      jstr(l, "settled_on"));
		assert_true(n < cap);
	}
}

static void
test_contributions_story(void **state)
{
	story s;
	char e1a[64], e1b[64], e2[64], e3[64], e_late[64], e_gift[64], who[64];
	char path[256], body[512], want[4096], token[64], seen[512];
	e2e_opts o = {0};
	e2e_reply r;
	json_t *list, *a;
	int64_t in = 0, attributed = 0;

	(void)state;
	wait_past_wat_midnight();
	form_group(&s);
	register_payer_accounts(&s);
	define_dues(&s);
	waive_officers(&s);
	/* Two periods due for each member, nothing paid yet. */
	for (int i = 0; i < 3; i++)
		assert_standing(&s, &s.m[i], 2 * DUES_KOBO, 0, 2 * DUES_KOBO, 0, 0);
	assert_books(&s, 0, 0);

	/* Members 1 and 2 pay both periods from their accounts (member 1 in
	 * two transfers); member 3 pays one. Each is credited to its payer. */
	deposit(&s, DUES_KOBO, s.acct[0], "E2E S-M1", e1a, who);
	assert_string_equal(who, s.m[0].id);
	deposit(&s, DUES_KOBO, s.acct[0], "E2E S-M1", e1b, who);
	assert_string_equal(who, s.m[0].id);
	deposit(&s, 2 * DUES_KOBO, s.acct[1], "E2E S-M2", e2, who);
	assert_string_equal(who, s.m[1].id);
	deposit(&s, DUES_KOBO, s.acct[2], "E2E S-M3", e3, who);
	assert_string_equal(who, s.m[2].id);
	in = attributed = 5 * DUES_KOBO;
	assert_books(&s, in, attributed);
	/* The same transfer sent again (its Idempotency-Key): the same entry,
	 * credited once. */
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits", s.gid);
	snprintf(body, sizeof(body),
		 "{\"amount_kobo\":%d,\"sender_account_number\":\"%s\","
		 "\"sender_bank_code\":\"058\"}",
		 DUES_KOBO, s.acct[2]);
	o.token = s.treasurer.access;
	o.body = body;
	o.header = "Idempotency-Key: story-m3-once";
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(who, sizeof(who), "%s", jstr(jget(r.json, "entry"), "id"));
	e2e_reply_free(&r);
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_true(json_is_true(json_object_get(r.json, "replayed")));
	assert_string_equal(jstr(jget(r.json, "entry"), "id"), who);
	assert_string_equal(jstr(jget(r.json, "entry"), "user_id"), s.m[2].id);
	e2e_reply_free(&r);
	o.header = NULL;
	o.body = NULL;
	/* ... which was a second period from member 3 after all: it is
	 * reversed, and member 3 stays one period short. */
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits/%s/reversal", s.gid, who);
	o.body = "{\"reason\":\"sent twice by the bank app\"}";
	e2e_expect(NULL, "POST", path, &o, 201, "");
	o.body = NULL;
	assert_books(&s, in, attributed);
	/* The trail of a deposit credited at credit time: the attribution,
	 * read by the member it is credited to, not by another member. */
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocations", s.gid, e2);
	o.token = s.m[1].access;
	e2e_expect(&r, "GET", path, &o, 200, "");
	list = jget(r.json, "allocations");
	assert_int_equal(json_array_size(list), 1);
	a = json_array_get(list, 0);
	assert_string_equal(jstr(a, "method"), "payer_account");
	assert_string_equal(jstr(a, "user_id"), s.m[1].id);
	assert_string_equal(jstr(a, "entry_id"), e2);
	assert_string_equal(jstr(a, "id"), "");
	e2e_reply_free(&r);
	o.token = s.m[0].access;
	e2e_expect(NULL, "GET", path, &o, 403, "officer_only");
	assert_standing(&s, &s.m[0], 2 * DUES_KOBO, 2 * DUES_KOBO, 0, 0, 0);
	assert_standing(&s, &s.m[1], 2 * DUES_KOBO, 2 * DUES_KOBO, 0, 0, 0);
	assert_standing(&s, &s.m[2], 2 * DUES_KOBO, DUES_KOBO, DUES_KOBO, 0, 0);
	/* Only member 3 is in arrears: one period, to the kobo. */
	dues_status(&s, &s.treasurer, "", &r);
	snprintf(want, sizeof(want),
		 ARREARS_HEADER "%s,%s,E2E s-m3,10000.00,1000000,5000.00,500000,0.00,0,"
				"5000.00,500000,%s\r\n",
		 s.today, s.m[2].id, jstr(member_status(&r, s.m[2].id), "last_paid_at"));
	assert_true(strlen(jstr(member_status(&r, s.m[2].id), "last_paid_at")) > 0);
	e2e_reply_free(&r);
	arrears_csv(&s, want);
	/* The arrears CSV is the officers'. */
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/arrears.csv", s.gid);
	o.token = s.m[2].access;
	e2e_expect(NULL, "GET", path, &o, 403, "officer_only");

	/* Member 3 pays the rest late, from an account nobody registered: the
	 * deposit is unallocated, its payer shown masked. */
	deposit(&s, DUES_KOBO, "9876543210", "CHIDI OKAFOR", e_late, who);
	assert_string_equal(who, "");
	in += DUES_KOBO;
	assert_books(&s, in, attributed);
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/unallocated", s.gid);
	o.token = s.m[0].access;
	e2e_expect(NULL, "GET", path, &o, 403, "officer_only");
	o.token = s.treasurer.access;
	e2e_expect(&r, "GET", path, &o, 200, "");
	list = jget(r.json, "deposits");
	assert_int_equal(json_array_size(list), 1);
	a = json_array_get(list, 0);
	assert_string_equal(jstr(jget(a, "entry"), "id"), e_late);
	assert_int_equal(jint(jget(a, "entry"), "amount_kobo"), DUES_KOBO);
	assert_string_equal(jstr(a, "sender_name"), "CHIDI OKAFOR");
	assert_string_equal(jstr(a, "sender_account_number"), "******3210");
	assert_string_equal(jstr(a, "sender_bank_name"), "GTBank");
	assert_null(strstr(r.body, "9876543210"));
	assert_int_equal(jint(r.json, "unallocated_kobo"), DUES_KOBO);
	e2e_reply_free(&r);

	/* The officer allocates it to member 3: a wrong PIN changes nothing,
	 * nor do a stranger or a debit. */
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocation", s.gid, e_late);
	o.body = body;
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"000000\"}", s.m[2].id);
	e2e_expect(NULL, "POST", path, &o, 403, "pin_incorrect");
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"" PIN "\"}", s.stranger.id);
	e2e_expect(NULL, "POST", path, &o, 422, "not_a_member");
	o.token = s.m[2].access;
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"" PIN "\"}", s.m[2].id);
	e2e_expect(NULL, "POST", path, &o, 403, "officer_only");
	assert_books(&s, in, attributed);
	assert_standing(&s, &s.m[2], 2 * DUES_KOBO, DUES_KOBO, DUES_KOBO, 0, 0);
	o.token = s.treasurer.access;
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_string_equal(e2e_str(&r, "entry_id"), e_late);
	assert_string_equal(e2e_str(&r, "user_id"), s.m[2].id);
	assert_string_equal(e2e_str(&r, "method"), "officer");
	assert_string_equal(e2e_str(&r, "allocated_by"), s.treasurer.id);
	assert_string_equal(e2e_str(&r, "superseded_at"), "");
	e2e_reply_free(&r);
	attributed += DUES_KOBO;
	assert_books(&s, in, attributed);
	assert_standing(&s, &s.m[2], 2 * DUES_KOBO, 2 * DUES_KOBO, 0, 0, 0);
	snprintf(want, sizeof(want), "%s", ARREARS_HEADER);
	arrears_csv(&s, want);
	/* Twice is refused; so is a deposit credited at credit time (the
	 * owner asks: each officer may try a PIN 10 times a minute). */
	o.token = s.owner.access;
	e2e_expect(NULL, "POST", path, &o, 409, "entry_already_allocated");
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocation", s.gid, e2);
	e2e_expect(NULL, "POST", path, &o, 409, "entry_already_allocated");
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/unallocated", s.gid);
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(json_array_size(jget(r.json, "deposits")), 0);
	assert_int_equal(jint(r.json, "unallocated_kobo"), 0);
	e2e_reply_free(&r);

	/* A gift from someone's relative: allocated to member 1 by mistake,
	 * reallocated to member 2 with a reason; the trail keeps both. */
	deposit(&s, LEVY_KOBO, "1122334455", "AUNTY NGOZI", e_gift, who);
	in += LEVY_KOBO;
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocation", s.gid, e_gift);
	o.body = body;
	o.token = s.treasurer.access;
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"" PIN "\"}", s.m[0].id);
	e2e_expect(NULL, "POST", path, &o, 201, "");
	attributed += LEVY_KOBO;
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"" PIN "\",\"reallocate\":true}",
		 s.m[1].id);
	e2e_expect(NULL, "POST", path, &o, 400, "reason_required");
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"pin\":\"" PIN "\",\"reallocate\":true,"
		 "\"reason\":\"Ngozi is member 2's aunt\",\"expected_user_id\":\"%s\"}",
		 s.m[1].id, s.m[0].id);
	o.token = s.owner.access;
	e2e_expect(NULL, "POST", path, &o, 201, "");
	assert_books(&s, in, attributed);
	assert_standing(&s, &s.m[0], 2 * DUES_KOBO, 2 * DUES_KOBO, 0, 0, 0);
	assert_standing(&s, &s.m[1], 2 * DUES_KOBO, 2 * DUES_KOBO + LEVY_KOBO, 0, LEVY_KOBO, 0);
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocations", s.gid, e_gift);
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	list = jget(r.json, "allocations");
	assert_int_equal(json_array_size(list), 2);
	a = json_array_get(list, 0);
	assert_string_equal(jstr(a, "user_id"), s.m[0].id);
	assert_string_equal(jstr(a, "allocated_by"), s.treasurer.id);
	assert_true(strlen(jstr(a, "superseded_at")) > 0);
	assert_string_equal(jstr(a, "superseded_by"), jstr(json_array_get(list, 1), "id"));
	a = json_array_get(list, 1);
	assert_string_equal(jstr(a, "user_id"), s.m[1].id);
	assert_string_equal(jstr(a, "allocated_by"), s.owner.id);
	assert_string_equal(jstr(a, "reason"), "Ngozi is member 2's aunt");
	assert_string_equal(jstr(a, "superseded_at"), "");
	e2e_reply_free(&r);

	/* The levy falls due in two weeks: member 2's credit settles it. */
	dues_status(&s, &s.treasurer, s.levy_day, &r);
	assert_string_equal(e2e_str(&r, "as_of"), s.levy_day);
	assert_int_equal(jint(member_status(&r, s.m[0].id), "arrears_kobo"), LEVY_KOBO);
	assert_int_equal(jint(member_status(&r, s.m[1].id), "arrears_kobo"), 0);
	assert_int_equal(jint(member_status(&r, s.m[1].id), "credit_kobo"), 0);
	assert_int_equal(jint(member_status(&r, s.m[2].id), "arrears_kobo"), LEVY_KOBO);
	e2e_reply_free(&r);
	/* A plain member sees their own standing only (and the group's sums). */
	dues_status(&s, &s.m[0], s.levy_day, &r);
	assert_int_equal(json_array_size(jget(r.json, "members")), 1);
	assert_int_equal(jint(member_status(&r, s.m[0].id), "arrears_kobo"), LEVY_KOBO);
	assert_int_equal(jint(r.json, "attributed_kobo"), attributed);
	e2e_reply_free(&r);

	/* Member 1's second transfer bounces (a chargeback): it comes off
	 * member 1, who is back in arrears by one period. */
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits/%s/reversal", s.gid, e1b);
	o.token = s.m[0].access;
	o.body = "{\"reason\":\"sender's bank recalled it\"}";
	e2e_expect(NULL, "POST", path, &o, 403, "officer_only");
	o.token = s.treasurer.access;
	e2e_expect(&r, "POST", path, &o, 201, "");
	a = jget(r.json, "entry");
	assert_string_equal(jstr(a, "type"), "DEBIT");
	assert_int_equal(jint(a, "amount_kobo"), DUES_KOBO);
	assert_true(strncmp(jstr(a, "reference"), "chargeback:", 11) == 0);
	assert_false(json_is_true(json_object_get(r.json, "replayed")));
	snprintf(e1b, sizeof(e1b), "%s", jstr(a, "id")); /* now the reversal's id */
	e2e_reply_free(&r);
	in -= DUES_KOBO;
	attributed -= DUES_KOBO;
	assert_books(&s, in, attributed);
	assert_standing(&s, &s.m[0], 2 * DUES_KOBO, DUES_KOBO, DUES_KOBO, 0, 0);
	/* A reversal is no deposit to allocate. */
	snprintf(path, sizeof(path), "/v1/groups/%s/deposits/%s/allocation", s.gid, e1b);
	o.body = body;
	o.token = s.owner.access;
	snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"pin\":\"" PIN "\"}", s.m[0].id);
	e2e_expect(NULL, "POST", path, &o, 422, "not_a_deposit");

	/* The committee lets member 1 off this month (one period). */
	snprintf(path, sizeof(path), "/v1/groups/%s/dues/%s/waivers", s.gid, s.dues_id);
	snprintf(body, sizeof(body),
		 "{\"user_id\":\"%s\",\"due_on\":\"%s\","
		 "\"reason\":\"bereavement\",\"pin\":\"" PIN "\"}",
		 s.m[0].id, s.second);
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_string_equal(e2e_str(&r, "due_on"), s.second);
	e2e_reply_free(&r);
	assert_standing(&s, &s.m[0], DUES_KOBO, DUES_KOBO, 0, 0, DUES_KOBO);
	assert_books(&s, in, attributed);

	/* Member 1's statement, JSON, exact: two periods, the waiver of
	 * today's, two contributions, the chargeback. */
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement", s.gid, s.m[0].id);
	o.token = s.m[0].access;
	o.body = NULL;
	e2e_expect(&r, "GET", path, &o, 200, "");
	{
		static const struct {
			const char *kind;
			long long amount, balance;
		} want_lines[] = {
			{"due", DUES_KOBO, DUES_KOBO},
			{"due", DUES_KOBO, 2 * DUES_KOBO},
			{"waiver", -DUES_KOBO, DUES_KOBO},
			{"contribution", -DUES_KOBO, 0},
			{"contribution", -DUES_KOBO, -DUES_KOBO},
			{"reversal", DUES_KOBO, 0},
		};
		json_t *lines = jget(r.json, "lines"), *st = jget(r.json, "status");

		if (json_array_size(lines) != 6)
			fail_msg("statement: %s", r.body);
		for (size_t i = 0; i < 6; i++) {
			json_t *l = json_array_get(lines, i);

			if (strcmp(jstr(l, "kind"), want_lines[i].kind) != 0 ||
			    jint(l, "amount_kobo") != want_lines[i].amount ||
			    jint(l, "balance_kobo") != want_lines[i].balance)
				fail_msg("statement line %zu: %s", i, json_dumps(l, JSON_COMPACT));
		}
		assert_string_equal(jstr(json_array_get(lines, 0), "date"), s.start);
		assert_string_equal(jstr(json_array_get(lines, 0), "dues_id"), s.dues_id);
		assert_string_equal(jstr(json_array_get(lines, 1), "date"), s.second);
		assert_string_equal(jstr(json_array_get(lines, 3), "entry_id"), e1a);
		assert_string_equal(jstr(json_array_get(lines, 5), "entry_id"), e1b);
		assert_string_equal(jstr(st, "user_id"), s.m[0].id);
		assert_int_equal(jint(st, "owed_kobo"), DUES_KOBO);
		assert_int_equal(jint(st, "paid_kobo"), DUES_KOBO);
		assert_int_equal(jint(st, "arrears_kobo"), 0);
		assert_int_equal(jint(st, "waived_kobo"), DUES_KOBO);
		assert_string_equal(jstr(json_array_get(lines, 0), "description"), "Monthly dues");
		assert_string_equal(jstr(json_array_get(lines, 2), "description"),
				    "Monthly dues waived: bereavement");
		assert_string_equal(jstr(json_array_get(lines, 3), "description"), "deposit");
		assert_string_equal(jstr(json_array_get(lines, 5), "description"),
				    "deposit reversed");
		/* The first period was settled by member 1's first transfer, today. */
		assert_string_equal(jstr(json_array_get(lines, 0), "settled_on"), s.today);
		statement_csv_want(lines, want, sizeof(want));
	}
	e2e_reply_free(&r);
	/* The CSV says the same, line by line, in naira and kobo. */
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement.csv", s.gid, s.m[0].id);
	get_text(path, &s.treasurer, &r);
	if (strcmp(r.body, want) != 0)
		fail_msg("statement.csv:\n%s\nwant:\n%s", r.body, want);
	assert_null(strstr(r.body, "@example.com"));
	e2e_reply_free(&r);
	/* A member reads their own statement, not another's; a stranger none. */
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement", s.gid, s.m[1].id);
	o.token = s.m[0].access;
	e2e_expect(NULL, "GET", path, &o, 403, "officer_only");
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement.csv", s.gid, s.m[1].id);
	e2e_expect(NULL, "GET", path, &o, 403, "officer_only");
	o.token = s.stranger.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement", s.gid, s.stranger.id);
	e2e_expect(NULL, "GET", path, &o, 404, "group_not_found");
	o.token = s.m[1].access;
	snprintf(path, sizeof(path), "/v1/groups/%s/members/%s/statement", s.gid, s.m[1].id);
	e2e_expect(&r, "GET", path, &o, 200, "");
	assert_int_equal(jint(jget(r.json, "status"), "credit_kobo"), LEVY_KOBO);
	e2e_reply_free(&r);

	/* The public page: no dues until the OWNER turns them on, then
	 * paid/unpaid under display names (member 3 owes nothing now). */
	o.token = s.owner.access;
	snprintf(path, sizeof(path), "/v1/groups/%s/public-token", s.gid);
	e2e_expect(&r, "POST", path, &o, 201, "");
	snprintf(token, sizeof(token), "%s", e2e_str(&r, "public_read_token"));
	e2e_reply_free(&r);
	public_dues(&s, token, seen, sizeof(seen));
	assert_string_equal(seen, "");
	snprintf(path, sizeof(path), "/v1/groups/%s", s.gid);
	o.token = s.treasurer.access;
	o.body = "{\"public_dues\":true}";
	e2e_expect(NULL, "PATCH", path, &o, 403, "owner_only");
	o.token = s.owner.access;
	e2e_expect(&r, "PATCH", path, &o, 200, "");
	assert_true(json_is_true(json_object_get(r.json, "public_dues")));
	e2e_reply_free(&r);
	public_dues(&s, token, seen, sizeof(seen));
	assert_string_equal(seen, "E2E s-owner=paid;E2E s-treasurer=paid;E2E s-m1=paid;"
				  "E2E s-m2=paid;E2E s-m3=paid;");
	/* A second chargeback, of member 3's late deposit: unpaid again. */
	snprintf(path, sizeof(path), "/v1/demo/groups/%s/deposits/%s/reversal", s.gid, e_late);
	o.body = "{\"reason\":\"recalled\"}";
	e2e_expect(NULL, "POST", path, &o, 201, "");
	e2e_expect(&r, "POST", path, &o, 201, "");
	assert_true(json_is_true(json_object_get(r.json, "replayed")));
	e2e_reply_free(&r);
	in -= DUES_KOBO;
	attributed -= DUES_KOBO;
	assert_books(&s, in, attributed);
	public_dues(&s, token, seen, sizeof(seen));
	assert_string_equal(seen, "E2E s-owner=paid;E2E s-treasurer=paid;E2E s-m1=paid;"
				  "E2E s-m2=paid;E2E s-m3=unpaid;");
	snprintf(path, sizeof(path), "/p/%s", token);
	e2e_http(&r, "GET", path, NULL);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "E2E s-m3"));
	assert_null(strstr(r.body, "@example.com"));
	e2e_reply_free(&r);
	o.body = "{\"public_dues\":false}";
	snprintf(path, sizeof(path), "/v1/groups/%s", s.gid);
	e2e_expect(NULL, "PATCH", path, &o, 200, "");
	public_dues(&s, token, seen, sizeof(seen));
	assert_string_equal(seen, "");

	/* Every kobo accounted for, in the whole suite's database. */
	test_pg_ledger_invariant(e2e_db());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contributions_story),
	};

	return cmocka_run_group_tests(tests, e2e_setup_db, e2e_teardown);
}
