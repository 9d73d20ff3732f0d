/* dues: the dues calendar and settlement (DESIGN §15). Pure: no I/O, no
 * protobuf, no SQL. Days are West Africa Time calendar days (UTC+1, no
 * daylight saving) counted from 1970-01-01; instants are Unix seconds.
 * docs/decisions.md, "Contributions: dues", records the rules. */
#ifndef KOLO_GRP_DUES_H
#define KOLO_GRP_DUES_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"
#include "groups.h"
#include "mem/mem.h"

/* No day (an open end, a waiver of all of a dues). */
#define GRP_DAY_NONE INT32_MIN
/* WAT is UTC+1 all year. */
#define GRP_WAT_OFFSET_S 3600
/* Bounds of an amount per period and member. */
#define GRP_DUES_AMOUNT_MAX 25000000000LL

typedef int32_t grp_day;

typedef enum grp_dues_period {
	GRP_DUES_ONCE,
	GRP_DUES_WEEKLY,
	GRP_DUES_MONTHLY,
} grp_dues_period;

/* 0 and *out set when s is a valid "YYYY-MM-DD" (years 0001-9999, the day
 * within its month); else -1. */
KOLO_MUST_CHECK int grp_day_parse(grp_day *out, const char *s);

/* d as "YYYY-MM-DD" into out (11 bytes). */
void grp_day_format(grp_day d, char out[11]);

/* The WAT calendar day of a UTC instant (23:30Z on 31 Jan is 1 Feb). */
grp_day grp_day_wat(int64_t unix_s);

/* The UTC instant 00:00 WAT of day d begins at. */
int64_t grp_day_wat_start(grp_day d);

/* 0 and *out (Unix seconds, fraction dropped) for an RFC 3339 UTC time
 * "YYYY-MM-DDTHH:MM:SS[.fraction]Z" as the services write them; else -1. */
KOLO_MUST_CHECK int grp_instant_parse(int64_t *out, const char *s);

/* unix_s as "YYYY-MM-DDTHH:MM:SSZ" into out (21 bytes). */
void grp_instant_format(int64_t unix_s, char out[21]);

/* 0 and *out for "once", "weekly", "monthly"; else -1. */
KOLO_MUST_CHECK int grp_dues_period_parse(grp_dues_period *out, const char *s);
const char *grp_dues_period_name(grp_dues_period p);

/* A dues as the calendar needs it. ends_on GRP_DAY_NONE: open-ended. */
typedef struct grp_dues_def {
	int64_t amount_kobo;
	grp_dues_period period;
	grp_day starts_on;
	grp_day ends_on;
} grp_dues_def;

/* The k-th due day of d (k = 0 is starts_on), computed from starts_on each
 * time (never from the previous one: Jan 31, Feb 28/29, Mar 31), ignoring
 * ends_on. 0 and *out, or -1 when there is none (once and k > 0, or past
 * year 9999). */
KOLO_MUST_CHECK int grp_dues_occurrence(grp_day *out, const grp_dues_def *d, int64_t k);

/* 1 when day is one of d's due days within [starts_on, ends_on]. */
int grp_dues_is_due_day(const grp_dues_def *d, grp_day day);

/* A waiver: of dues dues_index, one day, or all of it (due_on
 * GRP_DAY_NONE). */
typedef struct grp_dues_waiver {
	int dues_index;
	grp_day due_on;
} grp_dues_waiver;

/* One period a member owes. waiver: index of the waiver letting them off,
 * or -1. settled_s: the instant of the contribution that settled it in full
 * (for good), or -1 while open (and for a waived one). */
typedef struct grp_due_item {
	int dues_index;
	grp_day day;
	int64_t amount_kobo;
	int waiver;
	int64_t settled_s;
} grp_due_item;

/* A contribution (amount > 0) or a reversal (amount < 0), in time order. */
typedef struct grp_dues_money {
	int64_t at_s;
	int64_t amount_kobo;
} grp_dues_money;

typedef struct grp_dues_status {
	int64_t owed_kobo; /* due and not waived */
	int64_t paid_kobo; /* contributions less reversals */
	int64_t waived_kobo;
	int64_t arrears_kobo; /* max(0, owed - paid) */
	int64_t credit_kobo;  /* max(0, paid - owed) */
	int64_t last_paid_s;  /* latest contribution (> 0), or -1 */
} grp_dues_status;

/* The periods a member owes: every due day of each dues (dues[] oldest
 * first) on or after joined (the WAT day they joined) up to
 * min(ends_on, as_of), in day order (ties: the older dues first), each with
 * the waiver that lets them off. *out in arena a. ERR_RESOURCE_EXHAUSTED
 * (dues_too_many_periods) past max_items. */
KOLO_MUST_CHECK int grp_dues_items(grp_due_item **out, size_t *out_n, mem_arena *a,
				   const grp_dues_def *dues, int n_dues,
				   const grp_dues_waiver *waivers, int n_waivers, grp_day joined,
				   grp_day as_of, size_t max_items);

/* Settles items (from grp_dues_items) with money (time order): the oldest
 * open period first; a reversal reopens the newest settled ones. Sets each
 * item's settled_s and fills *out_status. */
void grp_dues_settle(grp_dues_status *out_status, grp_due_item *items, size_t n_items,
		     const grp_dues_money *money, size_t n_money);

typedef enum grp_line_kind {
	GRP_LINE_DUE,
	GRP_LINE_WAIVER,
	GRP_LINE_CONTRIBUTION,
	GRP_LINE_REVERSAL,
} grp_line_kind;

/* A statement line: item (DUE, WAIVER) or money (CONTRIBUTION, REVERSAL)
 * is the index it came from. amount_kobo is signed as it moves the
 * balance (a due or a reversal adds); balance_kobo is owed after it. */
typedef struct grp_stmt_line {
	grp_line_kind kind;
	size_t index;
	int64_t at_s;
	int64_t amount_kobo;
	int64_t balance_kobo;
} grp_stmt_line;

/* The statement of settled items and money: lines in time order (a due
 * day at 00:00 WAT, its waiver right after it; at one instant dues come
 * before money), with the running balance. *out in arena a. */
KOLO_MUST_CHECK int grp_dues_statement(grp_stmt_line **out, size_t *out_n, mem_arena *a,
				       const grp_due_item *items, size_t n_items,
				       const grp_dues_money *money, size_t n_money);

/* --- WaiveDues: whether an officer may let a member off ------------------- */

typedef enum grp_waive_verdict {
	GRP_WAIVE_OK,
	GRP_WAIVE_GROUP_NOT_FOUND,  /* the caller is not a member */
	GRP_WAIVE_OFFICER_ONLY,	    /* the caller is a MEMBER */
	GRP_WAIVE_DUES_NOT_FOUND,   /* the group has no such dues */
	GRP_WAIVE_MEMBER_NOT_FOUND, /* the user is not a member */
	GRP_WAIVE_DUES_UNREADABLE,  /* the stored dues is not a calendar (internal) */
	GRP_WAIVE_NOT_A_DUE_DAY,    /* due_on is not one of the dues' days */
} grp_waive_verdict;

/* What WaiveDues knows of the group, the dues and the member. */
typedef struct grp_waive_facts {
	grp_role caller_role; /* GRP_ROLE_NONE: not a member */
	int dues_found;	      /* the group has the dues */
	int dues_readable;    /* the stored dues reads as a calendar */
	grp_dues_def dues;    /* read when dues_readable */
	int member_found;     /* the user is a member of the group */
	grp_day due_on;	      /* the day waived; GRP_DAY_NONE: all of the dues */
} grp_waive_facts;

/* Whether the waiver may be written, the first rule broken in this order:
 * the caller a member, an officer; the dues in the group; the user a
 * member; the stored dues readable; due_on (when one) a due day of the dues within its start and
 * end (grp_dues_is_due_day). Pure: no I/O. */
grp_waive_verdict grp_waive_decide(const grp_waive_facts *f);

#endif
