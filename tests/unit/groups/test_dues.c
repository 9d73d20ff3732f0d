/* The dues calendar and settlement (DESIGN §15): month ends, leap years,
 * weeks across a year end, West Africa Time boundaries, ends_on, once,
 * waivers, oldest-first settlement with reversals, statements. No I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dues.h"

static grp_day
D(const char *s)
{
	grp_day d = 0;

	assert_int_equal(grp_day_parse(&d, s), 0);
	return d;
}

static grp_dues_def
def(grp_dues_period p, const char *starts, const char *ends, int64_t amount)
{
	return (grp_dues_def){.amount_kobo = amount,
			      .period = p,
			      .starts_on = D(starts),
			      .ends_on = ends ? D(ends) : GRP_DAY_NONE};
}

/* The due days of d up to as_of for a member who joined before it all,
 * as "YYYY-MM-DD,YYYY-MM-DD,...". */
static void
days_of(const grp_dues_def *d, const char *as_of, char *out, size_t cap)
{
	mem_arena *a = mem_arena_new(1 << 20);
	grp_due_item *items = NULL;
	size_t n = 0;
	char day[11];

	assert_int_equal(
		grp_dues_items(&items, &n, a, d, 1, NULL, 0, D("0001-01-01"), D(as_of), 1000), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		grp_day_format(items[i].day, day);
		if (i)
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, day, cap - strlen(out) - 1);
	}
	mem_arena_free(a);
}

static void
assert_days(grp_dues_def d, const char *as_of, const char *want)
{
	char got[2048];

	days_of(&d, as_of, got, sizeof(got));
	assert_string_equal(got, want);
}

static void
test_day_parse_rejects_invalid_dates(void **state)
{
	grp_day d;
	const char *bad[] = {"2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01",
			     "2026-00-10", "0000-01-01", "2026-1-01",  "2026-01-01T",
			     "20260101",   "2026/01/01", "",	       "yesterday"};
	char out[11];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(grp_day_parse(&d, bad[i]), -1);
	assert_int_equal(grp_day_parse(&d, NULL), -1);
	assert_int_equal(grp_day_parse(&d, "2028-02-29"), 0);
	assert_int_equal(grp_day_parse(&d, "2000-02-29"), 0);
	assert_int_equal(grp_day_parse(&d, "1970-01-01"), 0);
	assert_int_equal(d, 0);
	assert_int_equal(grp_day_parse(&d, "9999-12-31"), 0);
	grp_day_format(d, out);
	assert_string_equal(out, "9999-12-31");
	grp_day_format(D("0001-01-01"), out);
	assert_string_equal(out, "0001-01-01");
}

static void
test_wat_day_of_utc_instant(void **state)
{
	/* 2026-01-31T22:59:59Z is 23:59:59 WAT on 31 Jan; 23:00Z is 1 Feb. */
	int64_t jan31_2259 = (int64_t)D("2026-01-31") * 86400 + 22 * 3600 + 3599;
	char out[11];

	(void)state;
	grp_day_format(grp_day_wat(jan31_2259), out);
	assert_string_equal(out, "2026-01-31");
	grp_day_format(grp_day_wat(jan31_2259 + 1), out);
	assert_string_equal(out, "2026-02-01");
	grp_day_format(grp_day_wat(jan31_2259 + 1 + 1800), out); /* 23:30Z */
	assert_string_equal(out, "2026-02-01");
	/* New Year: 31 Dec 23:00Z is 1 Jan WAT. */
	grp_day_format(grp_day_wat((int64_t)D("2026-12-31") * 86400 + 23 * 3600), out);
	assert_string_equal(out, "2027-01-01");
	assert_int_equal(grp_day_wat_start(D("2026-02-01")),
			 (int64_t)D("2026-01-31") * 86400 + 23 * 3600);
	/* Before 1970 too (floor, not truncation). */
	grp_day_format(grp_day_wat(-1), out);
	assert_string_equal(out, "1970-01-01");
	grp_day_format(grp_day_wat(-3601), out);
	assert_string_equal(out, "1969-12-31");
}

static void
test_instants_read_and_written(void **state)
{
	int64_t t = 0;
	char out[21];

	(void)state;
	assert_int_equal(grp_instant_parse(&t, "2026-01-31T23:30:00.123456Z"), 0);
	assert_int_equal(t, (int64_t)D("2026-01-31") * 86400 + 23 * 3600 + 1800);
	grp_instant_format(t, out);
	assert_string_equal(out, "2026-01-31T23:30:00Z");
	assert_int_equal(grp_instant_parse(&t, "2026-01-31T23:30:00Z"), 0);
	assert_int_equal(grp_instant_parse(&t, "2026-01-31T23:30:00+01:00"), -1);
	assert_int_equal(grp_instant_parse(&t, "2026-01-31 23:30:00Z"), -1);
	assert_int_equal(grp_instant_parse(&t, "2026-02-30T00:00:00Z"), -1);
	assert_int_equal(grp_instant_parse(&t, "2026-01-31T24:00:00Z"), -1);
	assert_int_equal(grp_instant_parse(&t, ""), -1);
	grp_instant_format(grp_day_wat_start(D("2027-01-01")), out);
	assert_string_equal(out, "2026-12-31T23:00:00Z");
}

static void
test_monthly_on_31st_falls_on_month_ends(void **state)
{
	(void)state;
	assert_days(def(GRP_DUES_MONTHLY, "2026-01-31", NULL, 1), "2026-07-31",
		    "2026-01-31,2026-02-28,2026-03-31,2026-04-30,2026-05-31,"
		    "2026-06-30,2026-07-31");
	/* A leap year: 29 Feb, and March is the 31st again (never chained). */
	assert_days(def(GRP_DUES_MONTHLY, "2028-01-31", NULL, 1), "2028-03-31",
		    "2028-01-31,2028-02-29,2028-03-31");
}

static void
test_monthly_on_30th(void **state)
{
	(void)state;
	assert_days(def(GRP_DUES_MONTHLY, "2026-01-30", NULL, 1), "2026-04-30",
		    "2026-01-30,2026-02-28,2026-03-30,2026-04-30");
}

static void
test_monthly_from_29_feb_2028(void **state)
{
	(void)state;
	assert_days(def(GRP_DUES_MONTHLY, "2028-02-29", NULL, 1), "2028-05-31",
		    "2028-02-29,2028-03-29,2028-04-29,2028-05-29");
}

static void
test_yearly_leap_rules_2100_not_2000(void **state)
{
	(void)state;
	/* Monthly on the 29th: February 2100 has 28 days, 2000 had 29. */
	assert_days(def(GRP_DUES_MONTHLY, "2100-01-29", NULL, 1), "2100-03-29",
		    "2100-01-29,2100-02-28,2100-03-29");
	assert_days(def(GRP_DUES_MONTHLY, "2000-01-29", NULL, 1), "2000-03-29",
		    "2000-01-29,2000-02-29,2000-03-29");
	/* Weekly across 28 Feb 2100: no 29 Feb. */
	assert_days(def(GRP_DUES_WEEKLY, "2100-02-22", NULL, 1), "2100-03-08",
		    "2100-02-22,2100-03-01,2100-03-08");
	assert_days(def(GRP_DUES_WEEKLY, "2028-02-22", NULL, 1), "2028-03-08",
		    "2028-02-22,2028-02-29,2028-03-07");
}

static void
test_weekly_across_year_end(void **state)
{
	(void)state;
	assert_days(def(GRP_DUES_WEEKLY, "2026-12-17", NULL, 1), "2027-01-14",
		    "2026-12-17,2026-12-24,2026-12-31,2027-01-07,2027-01-14");
}

static void
test_ends_on_cuts_and_as_of_cuts(void **state)
{
	(void)state;
	assert_days(def(GRP_DUES_MONTHLY, "2026-01-15", "2026-03-14", 1), "2026-12-31",
		    "2026-01-15,2026-02-15");
	assert_days(def(GRP_DUES_MONTHLY, "2026-01-15", "2026-03-15", 1), "2026-12-31",
		    "2026-01-15,2026-02-15,2026-03-15");
	assert_days(def(GRP_DUES_MONTHLY, "2026-01-15", NULL, 1), "2026-03-14",
		    "2026-01-15,2026-02-15");
}

static void
test_once_and_as_of_before_start(void **state)
{
	(void)state;
	assert_days(def(GRP_DUES_ONCE, "2026-05-01", NULL, 1), "2030-01-01", "2026-05-01");
	assert_days(def(GRP_DUES_ONCE, "2026-05-01", NULL, 1), "2026-04-30", "");
	assert_days(def(GRP_DUES_WEEKLY, "2026-05-01", NULL, 1), "2026-04-30", "");
	assert_days(def(GRP_DUES_MONTHLY, "2026-05-01", NULL, 1), "2026-05-01", "2026-05-01");
}

static void
test_is_due_day(void **state)
{
	grp_dues_def m = def(GRP_DUES_MONTHLY, "2026-01-31", "2026-06-30", 1);
	grp_dues_def w = def(GRP_DUES_WEEKLY, "2026-12-31", NULL, 1);
	grp_dues_def o = def(GRP_DUES_ONCE, "2026-03-03", NULL, 1);

	(void)state;
	assert_true(grp_dues_is_due_day(&m, D("2026-02-28")));
	assert_true(grp_dues_is_due_day(&m, D("2026-03-31")));
	assert_true(grp_dues_is_due_day(&m, D("2026-06-30")));
	assert_false(grp_dues_is_due_day(&m, D("2026-03-28")));
	assert_false(grp_dues_is_due_day(&m, D("2026-07-31")));
	assert_false(grp_dues_is_due_day(&m, D("2025-12-31")));
	assert_true(grp_dues_is_due_day(&w, D("2027-01-07")));
	assert_true(grp_dues_is_due_day(&w, D("2030-01-03")));
	assert_false(grp_dues_is_due_day(&w, D("2027-01-08")));
	assert_true(grp_dues_is_due_day(&o, D("2026-03-03")));
	assert_false(grp_dues_is_due_day(&o, D("2026-03-10")));
}

static void
test_period_names(void **state)
{
	grp_dues_period p;

	(void)state;
	assert_int_equal(grp_dues_period_parse(&p, "monthly"), 0);
	assert_int_equal(p, GRP_DUES_MONTHLY);
	assert_string_equal(grp_dues_period_name(GRP_DUES_WEEKLY), "weekly");
	assert_int_equal(grp_dues_period_parse(&p, "yearly"), -1);
	assert_int_equal(grp_dues_period_parse(&p, "Monthly"), -1);
	assert_int_equal(grp_dues_period_parse(&p, NULL), -1);
}

/* A member owes the days on or after the WAT day they joined. */
static void
test_member_owes_from_join_day(void **state)
{
	mem_arena *a = mem_arena_new(1 << 16);
	grp_dues_def m = def(GRP_DUES_MONTHLY, "2026-01-01", NULL, 500);
	grp_due_item *items;
	size_t n;

	(void)state;
	assert_int_equal(grp_dues_items(&items, &n, a, &m, 1, NULL, 0, D("2026-02-01"),
					D("2026-04-15"), 100),
			 0);
	assert_int_equal(n, 3); /* Feb 1 (joined that day), Mar 1, Apr 1 */
	assert_int_equal(items[0].day, D("2026-02-01"));
	assert_int_equal(grp_dues_items(&items, &n, a, &m, 1, NULL, 0, D("2026-02-02"),
					D("2026-04-15"), 100),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(
		grp_dues_items(&items, &n, a, &m, 1, NULL, 0, D("2026-01-01"), D("2026-04-15"), 3),
		ERR_RESOURCE_EXHAUSTED);
	mem_arena_free(a);
}

static grp_dues_money
pay(const char *day, int hour, int64_t amount)
{
	return (grp_dues_money){grp_day_wat_start(D(day)) + hour * 3600, amount};
}

/* Two dues: the oldest period first, ties the older dues first; waivers
 * take periods off; a reversal reopens the newest settled one. */
static void
test_settlement_oldest_first_with_waivers_and_reversal(void **state)
{
	mem_arena *a = mem_arena_new(1 << 16);
	grp_dues_def dues[2] = {
		def(GRP_DUES_MONTHLY, "2026-01-01", NULL, 1000),
		def(GRP_DUES_ONCE, "2026-02-01", NULL, 300), /* a levy */
	};
	grp_dues_waiver waivers[1] = {{0, D("2026-03-01")}};
	grp_dues_money money[] = {
		pay("2026-01-05", 10, 1000),  /* settles Jan */
		pay("2026-02-10", 10, 1300),  /* Feb dues, then the levy */
		pay("2026-04-02", 10, 500),   /* half of April */
		pay("2026-04-03", 10, -1000), /* Feb 10's deposit reversed in part */
	};
	grp_due_item *items;
	grp_dues_status st;
	size_t n;

	(void)state;
	assert_int_equal(grp_dues_items(&items, &n, a, dues, 2, waivers, 1, D("2025-12-01"),
					D("2026-04-30"), 100),
			 0);
	assert_int_equal(n, 5); /* Jan, Feb (dues), Feb (levy), Mar, Apr */
	assert_int_equal(items[1].dues_index, 0);
	assert_int_equal(items[2].dues_index, 1);
	assert_int_equal(items[3].waiver, 0);
	grp_dues_settle(&st, items, n, money, 4);
	assert_int_equal(st.owed_kobo, 3300);
	assert_int_equal(st.waived_kobo, 1000);
	assert_int_equal(st.paid_kobo, 1800);
	assert_int_equal(st.arrears_kobo, 1500);
	assert_int_equal(st.credit_kobo, 0);
	assert_int_equal(st.last_paid_s, money[2].at_s);
	assert_int_equal(items[0].settled_s, money[0].at_s);
	/* 1800 paid: Jan (1000) stays settled; Feb dues (2000) no longer. */
	assert_int_equal(items[1].settled_s, -1);
	assert_int_equal(items[2].settled_s, -1);
	assert_int_equal(items[3].settled_s, -1); /* waived */
	assert_int_equal(items[4].settled_s, -1);
	/* Without the reversal everything up to the levy is settled, on the
	 * day of the payment that completed it. */
	grp_dues_settle(&st, items, n, money, 3);
	assert_int_equal(items[1].settled_s, money[1].at_s);
	assert_int_equal(items[2].settled_s, money[1].at_s);
	assert_int_equal(items[4].settled_s, -1);
	assert_int_equal(st.arrears_kobo, 500);
	mem_arena_free(a);
}

static void
test_whole_dues_waiver_and_credit(void **state)
{
	mem_arena *a = mem_arena_new(1 << 16);
	grp_dues_def dues[2] = {
		def(GRP_DUES_WEEKLY, "2026-01-01", NULL, 100),
		def(GRP_DUES_MONTHLY, "2026-01-01", NULL, 1000),
	};
	grp_dues_waiver waivers[1] = {{0, GRP_DAY_NONE}};
	grp_dues_money money[] = {pay("2025-12-20", 0, 2500)};
	grp_due_item *items;
	grp_dues_status st;
	size_t n;

	(void)state;
	assert_int_equal(grp_dues_items(&items, &n, a, dues, 2, waivers, 1, D("2025-12-01"),
					D("2026-02-01"), 100),
			 0);
	assert_int_equal(n, 7); /* 5 weeks + 2 months */
	grp_dues_settle(&st, items, n, money, 1);
	assert_int_equal(st.waived_kobo, 500);
	assert_int_equal(st.owed_kobo, 2000);
	assert_int_equal(st.credit_kobo, 500);
	assert_int_equal(st.arrears_kobo, 0);
	for (size_t i = 0; i < n; i++) {
		if (items[i].dues_index == 1)
			assert_int_equal(items[i].settled_s, money[0].at_s);
	}
	mem_arena_free(a);
}

static void
test_statement_lines_and_running_balance(void **state)
{
	mem_arena *a = mem_arena_new(1 << 16);
	grp_dues_def dues[1] = {def(GRP_DUES_MONTHLY, "2026-01-31", NULL, 1000)};
	grp_dues_waiver waivers[1] = {{0, D("2026-02-28")}};
	grp_dues_money money[] = {
		/* 00:00 WAT on the due day: the due comes first. */
		{grp_day_wat_start(D("2026-01-31")), 400},
		pay("2026-03-01", 9, 1600),
		pay("2026-03-02", 9, -600),
	};
	grp_due_item *items;
	grp_stmt_line *lines;
	grp_dues_status st;
	size_t n, n_lines;
	const grp_line_kind kinds[] = {GRP_LINE_DUE,	GRP_LINE_CONTRIBUTION, GRP_LINE_DUE,
				       GRP_LINE_WAIVER, GRP_LINE_CONTRIBUTION, GRP_LINE_REVERSAL,
				       GRP_LINE_DUE};
	const int64_t balance[] = {1000, 600, 1600, 600, -1000, -400, 600};

	(void)state;
	assert_int_equal(grp_dues_items(&items, &n, a, dues, 1, waivers, 1, D("2026-01-01"),
					D("2026-03-31"), 100),
			 0);
	grp_dues_settle(&st, items, n, money, 3);
	assert_int_equal(grp_dues_statement(&lines, &n_lines, a, items, n, money, 3), 0);
	assert_int_equal(n_lines, 7);
	for (size_t i = 0; i < n_lines; i++) {
		assert_int_equal(lines[i].kind, kinds[i]);
		assert_int_equal(lines[i].balance_kobo, balance[i]);
	}
	assert_int_equal(lines[6].balance_kobo, st.arrears_kobo);
	assert_int_equal(items[0].settled_s, money[1].at_s);
	assert_int_equal(items[2].settled_s, -1);
	mem_arena_free(a);
}

/* --- grp_waive_decide -------------------------------------------------------- */

/* A dues and a day, and whether the day is one of its due days (by hand). */
typedef struct waive_day {
	int dues;	 /* index in waive_dues() */
	const char *day; /* NULL: all of the dues */
	int due;
} waive_day;

static const waive_day waive_days[] = {
	{0, NULL, 1},	      {0, "2026-02-28", 1}, {0, "2026-06-30", 1}, {0, "2026-03-28", 0},
	{0, "2026-07-31", 0}, {0, "2025-12-31", 0}, {1, NULL, 1},	  {1, "2026-03-03", 1},
	{1, "2026-03-10", 0}, {2, NULL, 1},	    {2, "2027-01-07", 1}, {2, "2027-01-08", 0},
};
#define N_WAIVE_DAYS (sizeof(waive_days) / sizeof(waive_days[0]))

/* The rules as dues.h states them, in their order. */
static grp_waive_verdict
waive_expected(const grp_waive_facts *f, int due)
{
	if (f->caller_role != GRP_ROLE_OWNER && f->caller_role != GRP_ROLE_TREASURER &&
	    f->caller_role != GRP_ROLE_MEMBER)
		return GRP_WAIVE_GROUP_NOT_FOUND;
	if (f->caller_role == GRP_ROLE_MEMBER)
		return GRP_WAIVE_OFFICER_ONLY;
	if (!f->dues_found)
		return GRP_WAIVE_DUES_NOT_FOUND;
	if (!f->member_found)
		return GRP_WAIVE_MEMBER_NOT_FOUND;
	if (!f->dues_readable)
		return GRP_WAIVE_DUES_UNREADABLE;
	return due ? GRP_WAIVE_OK : GRP_WAIVE_NOT_A_DUE_DAY;
}

/* Every caller role x dues found x readable x member found x (dues, day). */
static void
test_waive_every_combination(void **state)
{
	const grp_dues_def dues[] = {
		def(GRP_DUES_MONTHLY, "2026-01-31", "2026-06-30", 1),
		def(GRP_DUES_ONCE, "2026-03-03", NULL, 1),
		def(GRP_DUES_WEEKLY, "2026-12-31", NULL, 1),
	};
	const grp_role roles[] = {GRP_ROLE_NONE, GRP_ROLE_OWNER, GRP_ROLE_TREASURER,
				  GRP_ROLE_MEMBER};
	int count = 0, ok = 0;

	(void)state;
	for (size_t r = 0; r < 4; r++)
		for (int found = 0; found < 2; found++)
			for (int readable = 0; readable < 2; readable++)
				for (int member = 0; member < 2; member++)
					for (size_t d = 0; d < N_WAIVE_DAYS; d++) {
						const waive_day *wd = &waive_days[d];
						grp_waive_facts f = {
							.caller_role = roles[r],
							.dues_found = found,
							.dues_readable = readable,
							.dues = dues[wd->dues],
							.member_found = member,
							.due_on =
								wd->day ? D(wd->day) : GRP_DAY_NONE,
						};
						grp_waive_verdict v = waive_expected(&f, wd->due);

						assert_int_equal(grp_waive_decide(&f), v);
						ok += v == GRP_WAIVE_OK;
						count++;
					}
	assert_int_equal(count, 4 * 2 * 2 * 2 * (int)N_WAIVE_DAYS);
	/* Two officer roles x the 7 due days (3 of them "all of it"). */
	assert_int_equal(ok, 2 * 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_parse_rejects_invalid_dates),
		cmocka_unit_test(test_wat_day_of_utc_instant),
		cmocka_unit_test(test_instants_read_and_written),
		cmocka_unit_test(test_monthly_on_31st_falls_on_month_ends),
		cmocka_unit_test(test_monthly_on_30th),
		cmocka_unit_test(test_monthly_from_29_feb_2028),
		cmocka_unit_test(test_yearly_leap_rules_2100_not_2000),
		cmocka_unit_test(test_weekly_across_year_end),
		cmocka_unit_test(test_ends_on_cuts_and_as_of_cuts),
		cmocka_unit_test(test_once_and_as_of_before_start),
		cmocka_unit_test(test_is_due_day),
		cmocka_unit_test(test_period_names),
		cmocka_unit_test(test_member_owes_from_join_day),
		cmocka_unit_test(test_settlement_oldest_first_with_waivers_and_reversal),
		cmocka_unit_test(test_whole_dues_waiver_and_credit),
		cmocka_unit_test(test_statement_lines_and_running_balance),
		cmocka_unit_test(test_waive_every_combination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
