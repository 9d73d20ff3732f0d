/* dues: the calendar and settlement of dues; see dues.h. */
#include "dues.h"

#include <stdlib.h>
#include <string.h>

#define DAY_S 86400
/* 0001-01-01 and 9999-12-31 as days from 1970-01-01. */
#define DAY_MIN (-719162)
#define DAY_MAX 2932896

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 of a civil date (H. Hinnant's days_from_civil). */
static grp_day
day_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (grp_day)(era * 146097 + doe - 719468);
}

static void
civil_from_day(grp_day day, int64_t *y, int *m, int *d)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int
grp_day_parse(grp_day *out, const char *s)
{
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (digits(s, 4, &y) < 0 || digits(s + 5, 2, &m) < 0 || digits(s + 8, 2, &d) < 0)
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return -1;
	*out = day_from_civil(y, m, d);
	return 0;
}

void
grp_day_format(grp_day d, char out[11])
{
	int64_t y;
	int m, dd;

	civil_from_day(d, &y, &m, &dd);
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + dd / 10);
	out[9] = (char)('0' + dd % 10);
	out[10] = '\0';
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

grp_day
grp_day_wat(int64_t unix_s)
{
	return (grp_day)floor_div(unix_s + GRP_WAT_OFFSET_S, DAY_S);
}

int64_t
grp_day_wat_start(grp_day d)
{
	return (int64_t)d * DAY_S - GRP_WAT_OFFSET_S;
}

int
grp_instant_parse(int64_t *out, const char *s)
{
	char day[11];
	int h, mi, sec;
	size_t n = s ? strlen(s) : 0, i = 19;
	grp_day d;

	if (n < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (grp_day_parse(&d, day) < 0 || digits(s + 11, 2, &h) < 0 || digits(s + 14, 2, &mi) < 0 ||
	    digits(s + 17, 2, &sec) < 0 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	}
	if (i != n - 1 || s[i] != 'Z')
		return -1;
	*out = (int64_t)d * DAY_S + h * 3600 + mi * 60 + sec;
	return 0;
}

void
grp_instant_format(int64_t unix_s, char out[21])
{
	int64_t in_day = unix_s - floor_div(unix_s, DAY_S) * DAY_S;
	int h = (int)(in_day / 3600), mi = (int)(in_day / 60 % 60), sec = (int)(in_day % 60);

	grp_day_format((grp_day)floor_div(unix_s, DAY_S), out);
	out[10] = 'T';
	out[11] = (char)('0' + h / 10);
	out[12] = (char)('0' + h % 10);
	out[13] = ':';
	out[14] = (char)('0' + mi / 10);
	out[15] = (char)('0' + mi % 10);
	out[16] = ':';
	out[17] = (char)('0' + sec / 10);
	out[18] = (char)('0' + sec % 10);
	out[19] = 'Z';
	out[20] = '\0';
}

int
grp_dues_period_parse(grp_dues_period *out, const char *s)
{
	static const grp_dues_period all[] = {GRP_DUES_ONCE, GRP_DUES_WEEKLY, GRP_DUES_MONTHLY};

	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(s, grp_dues_period_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

const char *
grp_dues_period_name(grp_dues_period p)
{
	switch (p) {
	case GRP_DUES_ONCE:
		return "once";
	case GRP_DUES_WEEKLY:
		return "weekly";
	case GRP_DUES_MONTHLY:
		return "monthly";
	}
	return "";
}

static int
monthly_occurrence(grp_day start, int64_t k, grp_day *out)
{
	int64_t y, months;
	int m, d, last;

	civil_from_day(start, &y, &m, &d);
	months = y * 12 + (m - 1) + k;
	y = months / 12;
	m = (int)(months % 12) + 1;
	if (y > 9999)
		return -1;
	last = month_days(y, m);
	*out = day_from_civil(y, m, d < last ? d : last);
	return 0;
}

int
grp_dues_occurrence(grp_day *out, const grp_dues_def *d, int64_t k)
{
	int64_t day;

	if (k < 0)
		return -1;
	switch (d->period) {
	case GRP_DUES_ONCE:
		if (k > 0)
			return -1;
		*out = d->starts_on;
		return 0;
	case GRP_DUES_WEEKLY:
		day = (int64_t)d->starts_on + 7 * k;
		if (k > (int64_t)DAY_MAX || day > DAY_MAX)
			return -1;
		*out = (grp_day)day;
		return 0;
	case GRP_DUES_MONTHLY:
		if (k > 12 * 10000)
			return -1;
		return monthly_occurrence(d->starts_on, k, out);
	}
	return -1;
}

/* The last day d may fall on up to as_of. */
static grp_day
dues_limit(const grp_dues_def *d, grp_day as_of)
{
	if (d->ends_on != GRP_DAY_NONE && d->ends_on < as_of)
		return d->ends_on;
	return as_of;
}

/* The first k whose day may be >= from (a lower bound: never skips one). */
static int64_t
first_k(const grp_dues_def *d, grp_day from)
{
	int64_t gap = (int64_t)from - d->starts_on;

	if (gap <= 0 || d->period == GRP_DUES_ONCE)
		return 0;
	if (d->period == GRP_DUES_WEEKLY)
		return gap / 7;
	return gap / 31;
}

int
grp_dues_is_due_day(const grp_dues_def *d, grp_day day)
{
	grp_day at;

	for (int64_t k = first_k(d, day);; k++) {
		if (grp_dues_occurrence(&at, d, k) < 0 || at > dues_limit(d, day))
			return 0;
		if (at == day)
			return 1;
	}
}

static int
waiver_of(const grp_dues_waiver *w, int n, int dues_index, grp_day day)
{
	for (int i = 0; i < n; i++) {
		if (w[i].dues_index == dues_index &&
		    (w[i].due_on == GRP_DAY_NONE || w[i].due_on == day))
			return i;
	}
	return -1;
}

static int
item_cmp(const void *pa, const void *pb)
{
	const grp_due_item *a = pa, *b = pb;

	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return (a->dues_index > b->dues_index) - (a->dues_index < b->dues_index);
}

/* Appends d's periods in [joined, limit] to out (cap items; out NULL:
 * counts them only). */
static int
dues_add_items(const grp_dues_def *d, int index, const grp_dues_waiver *waivers, int n_waivers,
	       grp_day joined, grp_day as_of, grp_due_item *out, size_t cap, size_t *n)
{
	grp_day limit = dues_limit(d, as_of), day;

	for (int64_t k = first_k(d, joined);; k++) {
		if (grp_dues_occurrence(&day, d, k) < 0 || day > limit)
			return 0;
		if (day < joined)
			continue;
		if (*n >= cap)
			return err_set(ERR_RESOURCE_EXHAUSTED, "dues_too_many_periods",
				       "too many periods due to compute");
		if (out)
			out[*n] = (grp_due_item){
				.dues_index = index,
				.day = day,
				.amount_kobo = d->amount_kobo,
				.waiver = waiver_of(waivers, n_waivers, index, day),
				.settled_s = -1,
			};
		(*n)++;
	}
}

/* Every dues' periods into out (NULL: counted only). */
static int
dues_all_items(const grp_dues_def *dues, int n_dues, const grp_dues_waiver *waivers, int n_waivers,
	       grp_day joined, grp_day as_of, grp_due_item *out, size_t cap, size_t *n)
{
	int rc = 0;

	*n = 0;
	for (int i = 0; rc == 0 && i < n_dues; i++)
		rc = dues_add_items(&dues[i], i, waivers, n_waivers, joined, as_of, out, cap, n);
	return rc;
}

int
grp_dues_items(grp_due_item **out, size_t *out_n, mem_arena *a, const grp_dues_def *dues,
	       int n_dues, const grp_dues_waiver *waivers, int n_waivers, grp_day joined,
	       grp_day as_of, size_t max_items)
{
	grp_due_item *items;
	size_t count = 0;
	int rc = dues_all_items(dues, n_dues, waivers, n_waivers, joined, as_of, NULL, max_items,
				&count);

	*out_n = 0;
	if (rc < 0)
		return rc;
	items = mem_arena_alloc(a, sizeof(*items) * (count + 1));
	if (!items)
		return err_oom();
	rc = dues_all_items(dues, n_dues, waivers, n_waivers, joined, as_of, items, count, out_n);
	if (rc < 0)
		return rc;
	qsort(items, *out_n, sizeof(*items), item_cmp);
	*out = items;
	return 0;
}

/* settled_s of each open item: the instant after which the running paid
 * total stays at or above what the item and every older one owe. */
static void
settle_items(grp_due_item *items, size_t n_items, const grp_dues_money *money, size_t n_money,
	     int64_t *suffix_min)
{
	int64_t paid = 0, owed = 0;
	size_t j = 0;

	for (size_t i = 0; i < n_money; i++) {
		paid += money[i].amount_kobo;
		suffix_min[i] = paid;
	}
	for (size_t i = n_money; i-- > 1;) {
		if (suffix_min[i] < suffix_min[i - 1])
			suffix_min[i - 1] = suffix_min[i];
	}
	for (size_t i = 0; i < n_items; i++) {
		if (items[i].waiver >= 0)
			continue;
		owed += items[i].amount_kobo;
		while (j < n_money && suffix_min[j] < owed)
			j++;
		items[i].settled_s = j < n_money ? money[j].at_s : -1;
	}
}

void
grp_dues_settle(grp_dues_status *out_status, grp_due_item *items, size_t n_items,
		const grp_dues_money *money, size_t n_money)
{
	int64_t *suffix_min = n_money ? xmalloc(sizeof(int64_t) * n_money) : NULL;

	memset(out_status, 0, sizeof(*out_status));
	out_status->last_paid_s = -1;
	for (size_t i = 0; i < n_items; i++) {
		if (items[i].waiver >= 0)
			out_status->waived_kobo += items[i].amount_kobo;
		else
			out_status->owed_kobo += items[i].amount_kobo;
	}
	for (size_t i = 0; i < n_money; i++) {
		out_status->paid_kobo += money[i].amount_kobo;
		if (money[i].amount_kobo > 0)
			out_status->last_paid_s = money[i].at_s;
	}
	if (out_status->owed_kobo > out_status->paid_kobo)
		out_status->arrears_kobo = out_status->owed_kobo - out_status->paid_kobo;
	else
		out_status->credit_kobo = out_status->paid_kobo - out_status->owed_kobo;
	settle_items(items, n_items, money, n_money, suffix_min);
	free(suffix_min);
}

/* Sort key of a line: instant, then dues before money, then source order. */
typedef struct line_key {
	grp_stmt_line line;
	int group;
	size_t seq;
} line_key;

static int
line_cmp(const void *pa, const void *pb)
{
	const line_key *a = pa, *b = pb;

	if (a->line.at_s != b->line.at_s)
		return a->line.at_s < b->line.at_s ? -1 : 1;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int
grp_dues_statement(grp_stmt_line **out, size_t *out_n, mem_arena *a, const grp_due_item *items,
		   size_t n_items, const grp_dues_money *money, size_t n_money)
{
	size_t cap = 2 * n_items + n_money, k = 0;
	line_key *keys = xmalloc(sizeof(*keys) * (cap + 1));
	grp_stmt_line *lines = mem_arena_alloc(a, sizeof(*lines) * (cap + 1));
	int64_t balance = 0;

	*out_n = 0;
	if (!lines) {
		free(keys);
		return err_oom();
	}
	for (size_t i = 0; i < n_items; i++) {
		int64_t at = grp_day_wat_start(items[i].day);

		keys[k] = (line_key){{GRP_LINE_DUE, i, at, items[i].amount_kobo, 0}, 0, k};
		k++;
		if (items[i].waiver >= 0) {
			keys[k] = (line_key){
				{GRP_LINE_WAIVER, i, at, -items[i].amount_kobo, 0}, 0, k};
			k++;
		}
	}
	for (size_t i = 0; i < n_money; i++, k++) {
		grp_line_kind kind =
			money[i].amount_kobo < 0 ? GRP_LINE_REVERSAL : GRP_LINE_CONTRIBUTION;

		keys[k] = (line_key){{kind, i, money[i].at_s, -money[i].amount_kobo, 0}, 1, k};
	}
	qsort(keys, k, sizeof(*keys), line_cmp);
	for (size_t i = 0; i < k; i++) {
		balance += keys[i].line.amount_kobo;
		lines[i] = keys[i].line;
		lines[i].balance_kobo = balance;
	}
	free(keys);
	*out = lines;
	*out_n = k;
	return 0;
}

/* --- WaiveDues ------------------------------------------------------------------ */

grp_waive_verdict
grp_waive_decide(const grp_waive_facts *f)
{
	if (f->caller_role == GRP_ROLE_NONE)
		return GRP_WAIVE_GROUP_NOT_FOUND;
	if (!grp_is_officer(f->caller_role))
		return GRP_WAIVE_OFFICER_ONLY;
	if (!f->dues_found)
		return GRP_WAIVE_DUES_NOT_FOUND;
	if (!f->member_found)
		return GRP_WAIVE_MEMBER_NOT_FOUND;
	if (!f->dues_readable)
		return GRP_WAIVE_DUES_UNREADABLE;
	if (f->due_on != GRP_DAY_NONE && !grp_dues_is_due_day(&f->dues, f->due_on))
		return GRP_WAIVE_NOT_A_DUE_DAY;
	return GRP_WAIVE_OK;
}
