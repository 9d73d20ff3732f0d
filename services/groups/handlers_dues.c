/* CreateDues, ListDues, WaiveDues, GetDuesStatus, GetMemberStatement
 * (DESIGN §15): dues and levies, waivers, and each member's standing from
 * the contributions the ledger credits to them (ListContributions). The
 * calendar and settlement are dues.c's; this file gathers the facts. */
#include "groups_service.h"
#include "handlers.h"

#include <string.h>
#include <time.h>

#include "dues.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "store_dues.h"
#include "svc/call.h"
#include "svc/pin.h"
#include "text/text.h"

/* The most periods one member's standing is computed over. */
#define GRP_DUES_ITEMS_MAX 20000
/* The latest as_of a standing is computed for: a year ahead of today. */
#define GRP_DUES_AS_OF_AHEAD 366

/* --- validation
 * ------------------------------------------------------------------ */

static int
grp_dues_date(const char *s, const char *field, grp_day *out)
{
	if (grp_day_parse(out, s) < 0) {
		err_set(ERR_INVALID_ARGUMENT, "invalid_date", "%s must be a date YYYY-MM-DD",
			field);
		return err_set_meta("field", field);
	}
	return 0;
}

/* 1 when s is 1..max characters of clean text without spaces at its
 * ends (characters as PostgreSQL's char_length counts them). */
static int
grp_dues_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), chars = 0;

	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n > 0 && chars <= max && text_is_clean(s) && s[0] != ' ' && s[n - 1] != ' ';
}

/* A CreateDuesRequest's fields into row (kind "" = "dues"). */
static int
grp_dues_validate(const Kolo__Groups__V1__CreateDuesRequest *in, grp_dues_row *row)
{
	grp_dues_period period;
	grp_day starts, ends = GRP_DAY_NONE;
	int rc = 0;

	if (!grp_dues_text_ok(in->name, 120))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_name",
			     "name must be 1 to 120 characters");
	row->kind = in->kind[0] ? in->kind : "dues";
	if (rc == 0 && strcmp(row->kind, "dues") != 0 && strcmp(row->kind, "levy") != 0)
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_dues_kind",
			     "kind must be dues or levy");
	if (rc == 0 && (in->amount_kobo < 1 || in->amount_kobo > GRP_DUES_AMOUNT_MAX))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_dues_amount",
			     "amount_kobo must be 1 to %lld", (long long)GRP_DUES_AMOUNT_MAX);
	if (rc == 0 && grp_dues_period_parse(&period, in->period) < 0)
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_period",
			     "period must be once, weekly or monthly");
	if (rc == 0 && strcmp(row->kind, "levy") == 0 && period != GRP_DUES_ONCE)
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_period",
			     "a levy is a one-off: period once");
	if (rc == 0)
		rc = grp_dues_date(in->starts_on, "starts_on", &starts);
	if (rc == 0 && in->ends_on[0])
		rc = grp_dues_date(in->ends_on, "ends_on", &ends);
	if (rc == 0 && ends != GRP_DAY_NONE && ends < starts)
		rc = err_set(ERR_INVALID_ARGUMENT, "dues_period_order",
			     "ends_on is before starts_on");
	row->name = in->name;
	row->amount_kobo = in->amount_kobo;
	row->period = in->period;
	row->starts_on = in->starts_on;
	row->ends_on = in->ends_on;
	return rc;
}

/* A stored dues as the calendar reads it. */
static int
grp_dues_def_of(const grp_dues_row *row, grp_dues_def *out)
{
	out->amount_kobo = row->amount_kobo;
	out->ends_on = GRP_DAY_NONE;
	if (grp_dues_period_parse(&out->period, row->period) < 0 ||
	    grp_day_parse(&out->starts_on, row->starts_on) < 0 ||
	    (row->ends_on[0] && grp_day_parse(&out->ends_on, row->ends_on) < 0))
		return err_set(ERR_INTERNAL, "internal", "a stored dues is unreadable");
	return 0;
}

static Kolo__Groups__V1__Dues *
grp_dues_message(mem_arena *a, const grp_dues_row *r)
{
	Kolo__Groups__V1__Dues *d = mem_arena_alloc(a, sizeof(*d));

	if (!d)
		return NULL;
	kolo__groups__v1__dues__init(d);
	d->id = r->id;
	d->group_id = r->group_id;
	d->name = r->name;
	d->kind = r->kind;
	d->amount_kobo = r->amount_kobo;
	d->period = r->period;
	d->starts_on = r->starts_on;
	d->ends_on = r->ends_on;
	d->created_by = r->created_by;
	d->created_at = r->created_at;
	return d;
}

/* --- CreateDues
 * ------------------------------------------------------------------ */

typedef struct grp_dues_tx {
	rpc_ctx *ctx;
	mem_arena *arena;
	const char *group_id, *user;
	grp_dues_row row, stored;
	idem_key key;
	ProtobufCMessage *out;
} grp_dues_tx;

/* The caller's view of the group: a member, an officer with need_officer. */
static int
grp_dues_role(db_conn *c, grp_dues_tx *t, int need_officer)
{
	grp_view v;
	int rc = grp_store_view(&v, t->arena, c, t->group_id, t->user, 0);

	return rc < 0 ? rc : grp_require_role(&v, need_officer, 0);
}

static int
grp_create_dues_body(db_conn *c, void *arg)
{
	grp_dues_tx *t = arg;
	Kolo__Groups__V1__CreateDuesResponse *out = (Kolo__Groups__V1__CreateDuesResponse *)t->out;
	int rc = grp_dues_role(c, t, 1);

	if (rc == 0)
		rc = grp_store_dues_add(&t->stored, t->arena, c, &t->row);
	if (rc < 0)
		return rc;
	out->dues = grp_dues_message(t->arena, &t->stored);
	return out->dues ? 0 : err_oom();
}

int
grp_create_dues(rpc_ctx *ctx, const Kolo__Groups__V1__CreateDuesRequest *in,
		Kolo__Groups__V1__CreateDuesResponse *out)
{
	grp_dues_tx t = {.ctx = ctx,
			 .arena = rpc_ctx_arena(ctx),
			 .group_id = in->group_id,
			 .user = rpc_ctx_user_id(ctx),
			 .out = &out->base};
	idem_tx it = {.key = &t.key,
		      .arena = t.arena,
		      .resp = &out->base,
		      .body = grp_create_dues_body,
		      .arg = &t};
	db_conn *c = NULL;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = grp_dues_validate(in, &t.row);
	t.row.group_id = in->group_id;
	t.row.created_by = (char *)t.user;
	if (rc == 0)
		rc = idem_prepare(&t.key, ctx, IDEM_GROUPS, &in->base, NULL);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc < 0 || it.replayed)
		return rc;
	grp_log_change(ctx, "dues_created", in->group_id, t.stored.id);
	return 0;
}

/* --- ListDues
 * -------------------------------------------------------------------- */

int
grp_list_dues(rpc_ctx *ctx, const Kolo__Groups__V1__ListDuesRequest *in,
	      Kolo__Groups__V1__ListDuesResponse *out)
{
	grp_dues_tx t = {.ctx = ctx,
			 .arena = rpc_ctx_arena(ctx),
			 .group_id = in->group_id,
			 .user = rpc_ctx_user_id(ctx)};
	grp_dues_row *rows = NULL;
	db_conn *c = NULL;
	int n = 0, rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_dues_role(c, &t, 0);
	if (rc == 0)
		rc = grp_store_dues_list(&rows, &n, t.arena, c, in->group_id);
	if (rc < 0)
		return rc;
	out->dues = mem_arena_alloc(t.arena, sizeof(*out->dues) * (size_t)(n + 1));
	if (!out->dues)
		return err_oom();
	for (int i = 0; i < n; i++) {
		out->dues[i] = grp_dues_message(t.arena, &rows[i]);
		if (!out->dues[i])
			return err_oom();
	}
	out->n_dues = (size_t)n;
	return 0;
}

/* --- WaiveDues
 * ------------------------------------------------------------------- */

typedef struct grp_waive_tx {
	grp_dues_tx base;
	const Kolo__Groups__V1__WaiveDuesRequest *in;
	grp_waiver_row stored;
} grp_waive_tx;

/* 1 when a read found nothing (ERR_NOT_FOUND, cleared), 0 when it found
 * its row, else the read's error. */
static int
grp_waive_missing(int rc)
{
	if (rc != ERR_NOT_FOUND)
		return rc;
	err_clear();
	return 1;
}

/* What grp_waive_decide reads: the caller's role, the dues (as the
 * calendar reads it), whether the user is a member, the day waived. */
static int
grp_waive_gather(grp_waive_facts *f, db_conn *c, grp_waive_tx *t)
{
	const Kolo__Groups__V1__WaiveDuesRequest *in = t->in;
	mem_arena *a = t->base.arena;
	grp_view v;
	grp_dues_row row;
	grp_member m;
	int rc = grp_store_view(&v, a, c, in->group_id, t->base.user, 0);

	if (rc < 0)
		return rc;
	f->caller_role = v.my_role;
	rc = grp_waive_missing(grp_store_dues_get(&row, a, c, in->group_id, in->dues_id));
	f->dues_found = rc == 0;
	/* A stored dues the calendar cannot read is refused after the member
	 * check (grp_waive_decide's order), not here. */
	f->dues_readable = rc == 0 && grp_dues_def_of(&row, &f->dues) == 0;
	if (rc == 0 && !f->dues_readable)
		err_clear();
	if (rc >= 0)
		rc = grp_waive_missing(grp_store_member(&m, a, c, in->group_id, in->user_id));
	f->member_found = rc == 0;
	f->due_on = GRP_DAY_NONE;
	if (rc >= 0 && in->due_on[0])
		rc = grp_dues_date(in->due_on, "due_on", &f->due_on);
	return rc < 0 ? rc : 0;
}

/* The refusal a verdict of grp_waive_decide stands for, or 0. */
static int
grp_waive_refusal(grp_waive_verdict v, const char *due_on)
{
	switch (v) {
	case GRP_WAIVE_OK:
		return 0;
	case GRP_WAIVE_GROUP_NOT_FOUND:
		return err_set(ERR_NOT_FOUND, "group_not_found", "no such group");
	case GRP_WAIVE_OFFICER_ONLY:
		return err_set(ERR_PERMISSION_DENIED, "officer_only",
			       "only an officer (OWNER or TREASURER) may do this");
	case GRP_WAIVE_DUES_NOT_FOUND:
		return err_set(ERR_NOT_FOUND, "dues_not_found", "the group has no such dues");
	case GRP_WAIVE_MEMBER_NOT_FOUND:
		return err_set(ERR_NOT_FOUND, "member_not_found", "no such member in the group");
	case GRP_WAIVE_DUES_UNREADABLE:
		return err_set(ERR_INTERNAL, "internal", "a stored dues is unreadable");
	case GRP_WAIVE_NOT_A_DUE_DAY:
		return err_set(ERR_INVALID_ARGUMENT, "not_a_due_day",
			       "the dues does not fall on %s", due_on);
	}
	return err_set(ERR_INTERNAL, "internal", "unknown waiver verdict %d", (int)v);
}

static Kolo__Groups__V1__DuesWaiver *
grp_waiver_message(mem_arena *a, const grp_waiver_row *r)
{
	Kolo__Groups__V1__DuesWaiver *w = mem_arena_alloc(a, sizeof(*w));

	if (!w)
		return NULL;
	kolo__groups__v1__dues_waiver__init(w);
	w->id = r->id;
	w->dues_id = r->dues_id;
	w->user_id = r->user_id;
	w->due_on = r->due_on;
	w->reason = r->reason;
	w->waived_by = r->waived_by;
	w->created_at = r->created_at;
	return w;
}

/* Gather, decide (grp_waive_decide), then write the waiver. */
static int
grp_waive_body(db_conn *c, void *arg)
{
	grp_waive_tx *t = arg;
	Kolo__Groups__V1__WaiveDuesResponse *out =
		(Kolo__Groups__V1__WaiveDuesResponse *)t->base.out;
	grp_waiver_row row = {.dues_id = t->in->dues_id,
			      .user_id = t->in->user_id,
			      .due_on = t->in->due_on,
			      .reason = t->in->reason,
			      .waived_by = (char *)t->base.user};
	grp_waive_facts f = {0};
	int rc = grp_waive_gather(&f, c, t);

	if (rc == 0)
		rc = grp_waive_refusal(grp_waive_decide(&f), t->in->due_on);
	if (rc == 0)
		rc = grp_store_waiver_add(&t->stored, t->base.arena, c, &row);
	if (rc < 0)
		return rc;
	out->waiver = grp_waiver_message(t->base.arena, &t->stored);
	return out->waiver ? 0 : err_oom();
}

int
grp_waive_dues(rpc_ctx *ctx, const Kolo__Groups__V1__WaiveDuesRequest *in,
	       Kolo__Groups__V1__WaiveDuesResponse *out)
{
	static const char *const omit[] = {"pin", NULL};
	grp_waive_tx t = {.base = {.ctx = ctx,
				   .arena = rpc_ctx_arena(ctx),
				   .group_id = in->group_id,
				   .user = rpc_ctx_user_id(ctx),
				   .out = &out->base},
			  .in = in};
	idem_tx it = {.key = &t.base.key,
		      .arena = t.base.arena,
		      .resp = &out->base,
		      .body = grp_waive_body,
		      .arg = &t};
	db_conn *c = NULL;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = grp_check_id(in->dues_id, "dues_id");
	if (rc == 0)
		rc = grp_check_id(in->user_id, "user_id");
	if (rc == 0 && !grp_dues_text_ok(in->reason, 500))
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_reason",
			     "reason must be 1 to 500 characters");
	if (rc == 0 && in->due_on[0]) {
		grp_day day;

		rc = grp_dues_date(in->due_on, "due_on", &day);
	}
	if (rc == 0)
		rc = svc_verify_pin(ctx, grp_identity, in->pin);
	if (rc == 0)
		rc = idem_prepare(&t.base.key, ctx, IDEM_GROUPS, &in->base, omit);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc < 0 || it.replayed)
		return rc;
	grp_log_change(ctx, "dues_waived", in->group_id, in->user_id);
	return 0;
}

/* --- standing: facts
 * ------------------------------------------------------------- */

/* What a standing is computed from (grp_standing_gather). */
typedef struct grp_dues_facts {
	grp_view view; /* the caller's */
	grp_day as_of;
	grp_dues_row *rows;
	grp_dues_def *defs;
	int n_dues;
	grp_waiver_row *waivers;
	int n_waivers;
	grp_voter *members; /* every member of the group */
	int n_members;
	int64_t joined_s; /* when one member's: when they joined */
	Kolo__Ledger__V1__ListContributionsResponse *contrib;
	/* The oldest as_of of the reads from replicas (groups' own, the
	 * ledger's contributions); NULL: all from the primaries. */
	const char *data_as_of;
} grp_dues_facts;

/* Whose standing is asked for, and who may read it. */
typedef struct grp_standing_ask {
	const char *group_id;
	const char *user;  /* one member's (canonical), NULL: everyone's */
	const char *as_of; /* as asked ("" today) */
	int check_role;	   /* 0: the service's call (the public page), no role */
	int need_officer;  /* with check_role: officers only */
} grp_standing_ask;

/* as_of "" is today in WAT. A day more than GRP_DUES_AS_OF_AHEAD days
 * ahead is refused before any work: each member's periods are counted up
 * to it (9999-12-31 would count to the cap for everyone). */
static int
grp_dues_as_of(const char *s, grp_day *out)
{
	grp_day today = grp_day_wat((int64_t)time(NULL));
	int rc = 0;

	if (!s[0])
		*out = today;
	else
		rc = grp_dues_date(s, "as_of", out);
	if (rc == 0 && *out > today + GRP_DUES_AS_OF_AHEAD) {
		err_set(ERR_INVALID_ARGUMENT, "as_of_too_late",
			"as_of may be at most %d days after today", GRP_DUES_AS_OF_AHEAD);
		return err_set_meta("field", "as_of");
	}
	return rc;
}

/* The dues (as the calendar reads them) and waivers of user (NULL:
 * everyone). */
static int
grp_dues_facts_read(db_conn *c, mem_arena *a, const char *group_id, const char *user,
		    grp_dues_facts *f)
{
	int rc = grp_store_dues_list(&f->rows, &f->n_dues, a, c, group_id);

	if (rc == 0)
		rc = grp_store_waivers(&f->waivers, &f->n_waivers, a, c, group_id, user);
	if (rc < 0)
		return rc;
	f->defs = mem_arena_alloc(a, sizeof(*f->defs) * (size_t)(f->n_dues + 1));
	if (!f->defs)
		return err_oom();
	for (int i = 0; rc == 0 && i < f->n_dues; i++)
		rc = grp_dues_def_of(&f->rows[i], &f->defs[i]);
	return rc;
}

/* The waivers of one user as the calendar reads them. */
static int
grp_dues_waivers_of(mem_arena *a, const grp_dues_facts *f, const char *user, grp_dues_waiver **out,
		    int *n)
{
	grp_dues_waiver *w = mem_arena_alloc(a, sizeof(*w) * (size_t)(f->n_waivers + 1));

	*n = 0;
	if (!w)
		return err_oom();
	for (int i = 0; i < f->n_waivers; i++) {
		const grp_waiver_row *r = &f->waivers[i];
		int d = 0;

		if (strcmp(r->user_id, user) != 0)
			continue;
		while (d < f->n_dues && strcmp(f->rows[d].id, r->dues_id) != 0)
			d++;
		w[*n].dues_index = d;
		w[*n].due_on = GRP_DAY_NONE;
		if (r->due_on[0] && grp_day_parse(&w[*n].due_on, r->due_on) < 0)
			return err_set(ERR_INTERNAL, "internal", "a stored waiver is unreadable");
		(*n)++;
	}
	*out = w;
	return 0;
}

/* ledger.ListContributions (internal) up to the end of as_of (WAT). */
static int
grp_contributions(rpc_ctx *ctx, const char *group_id, const char *user, grp_day as_of,
		  Kolo__Ledger__V1__ListContributionsResponse **out)
{
	Kolo__Ledger__V1__ListContributionsRequest req =
		KOLO__LEDGER__V1__LIST_CONTRIBUTIONS_REQUEST__INIT;
	char until[21];

	grp_instant_format(grp_day_wat_start(as_of + 1), until);
	req.group_id = (char *)group_id;
	req.user_id = (char *)(user ? user : "");
	req.until = until;
	return svc_call(ctx, grp_ledger, "ListContributions", &req.base, (ProtobufCMessage **)out,
			SVC_CALL_INTERNAL);
}

/* When user is one of f's members: their join time into f->joined_s,
 * else NOT_FOUND `member_not_found`. */
static int
grp_standing_member(grp_dues_facts *f, const char *user)
{
	for (int i = 0; i < f->n_members; i++) {
		if (strcmp(f->members[i].user_id, user) == 0) {
			f->joined_s = f->members[i].joined_s;
			return 0;
		}
	}
	return err_set(ERR_NOT_FOUND, "member_not_found", "the user is not a member of the group");
}

/* The members, dues and waivers of a standing, read by db_read (a
 * replica when one is set). */
typedef struct grp_standing_read {
	mem_arena *arena;
	const grp_standing_ask *q;
	grp_dues_facts *f;
} grp_standing_read;

static int
grp_standing_read_run(db_conn *c, void *arg)
{
	grp_standing_read *r = arg;
	int rc = grp_store_voters(&r->f->members, &r->f->n_members, r->arena, c, r->q->group_id);

	if (rc == 0)
		rc = grp_dues_facts_read(c, r->arena, r->q->group_id, r->q->user, r->f);
	return rc;
}

/* The facts of GetDuesStatus and GetMemberStatement, in this order: the
 * day (grp_dues_as_of), the caller's view (a member, an officer with
 * need_officer, unless !check_role) from the primary, then what the
 * standing is computed from, which may come from the read replicas
 * (f->data_as_of): the members (q->user among them, else NOT_FOUND
 * `member_not_found`), the dues and waivers (q->user's or everyone's), the
 * ledger's contributions up to the day. In ctx's arena. */
static int
grp_standing_gather(grp_dues_facts *f, rpc_ctx *ctx, const grp_standing_ask *q)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	grp_standing_read r = {.arena = a, .q = q, .f = f};
	const char *as_of = NULL;
	db_conn *c = NULL;
	int rc = grp_dues_as_of(q->as_of, &f->as_of);

	/* Who may read is the primary's word: a replica may lag a removal. */
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_view(&f->view, a, c, q->group_id, rpc_ctx_user_id(ctx), 0);
	if (rc == 0 && q->check_role)
		rc = grp_require_role(&f->view, q->need_officer, 0);
	if (rc == 0)
		rc = db_read(&as_of, a, grp_standing_read_run, &r);
	if (rc == 0 && q->user)
		rc = grp_standing_member(f, q->user);
	if (rc == 0)
		rc = grp_contributions(ctx, q->group_id, q->user, f->as_of, &f->contrib);
	if (rc == 0)
		f->data_as_of = db_as_of_older(as_of, f->contrib->as_of);
	return rc;
}

/* One member's periods and standing. money in time order. */
static int
grp_member_standing(mem_arena *a, const grp_dues_facts *f, const char *user, int64_t joined_s,
		    const grp_dues_money *money, size_t n_money, grp_due_item **items,
		    size_t *n_items, grp_dues_status *st)
{
	grp_dues_waiver *w = NULL;
	int n_w = 0;
	int rc = grp_dues_waivers_of(a, f, user, &w, &n_w);

	if (rc == 0)
		rc = grp_dues_items(items, n_items, a, f->defs, f->n_dues, w, n_w,
				    grp_day_wat(joined_s), f->as_of, GRP_DUES_ITEMS_MAX);
	if (rc == 0)
		grp_dues_settle(st, *items, *n_items, money, n_money);
	return rc;
}

/* The time of the member's latest deposit not reversed (as of the
 * statement's day), or "": a chargeback is not a payment. */
static const char *
grp_last_paid_at(const Kolo__Ledger__V1__ListContributionsResponse *r)
{
	for (size_t i = r->n_contributions; i-- > 0;) {
		const Kolo__Ledger__V1__Contribution *ct = r->contributions[i];

		if (ct->amount_kobo > 0 && !ct->reversed)
			return ct->created_at;
	}
	return "";
}

static Kolo__Groups__V1__MemberDuesStatus *
grp_status_message(rpc_ctx *ctx, const char *user, const grp_dues_status *st,
		   const char *last_paid_at)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	Kolo__Groups__V1__MemberDuesStatus *m = mem_arena_alloc(a, sizeof(*m));
	Kolo__Identity__V1__User *u = NULL;

	if (!m)
		return NULL;
	kolo__groups__v1__member_dues_status__init(m);
	m->user_id = (char *)user;
	/* A name identity cannot read is left "" (as proposals do). */
	if (grp_lookup_user(ctx, user, &u) == 0 && u)
		m->name = u->name;
	else
		err_clear();
	m->owed_kobo = st->owed_kobo;
	m->paid_kobo = st->paid_kobo;
	m->arrears_kobo = st->arrears_kobo;
	m->credit_kobo = st->credit_kobo;
	m->waived_kobo = st->waived_kobo;
	m->last_paid_at = (char *)(last_paid_at ? last_paid_at : "");
	return m;
}

/* --- GetDuesStatus
 * --------------------------------------------------------------- */

static const Kolo__Ledger__V1__ContributionTotal *
grp_total_of(const Kolo__Ledger__V1__ListContributionsResponse *r, const char *user)
{
	for (size_t i = 0; i < r->n_totals; i++) {
		if (strcmp(r->totals[i]->user_id, user) == 0)
			return r->totals[i];
	}
	return NULL;
}

/* The member's standing from their total alone (status needs no order). */
static int
grp_status_one(rpc_ctx *ctx, const grp_dues_facts *f, const grp_voter *m,
	       const Kolo__Ledger__V1__ListContributionsResponse *r,
	       Kolo__Groups__V1__MemberDuesStatus **out)
{
	const Kolo__Ledger__V1__ContributionTotal *total = grp_total_of(r, m->user_id);
	mem_arena *scratch = mem_arena_new(0);
	grp_dues_money money = {0, total ? total->paid_kobo : 0};
	grp_due_item *items = NULL;
	grp_dues_status st;
	size_t n_items = 0;
	int rc = grp_member_standing(scratch, f, m->user_id, m->joined_s, &money, total ? 1 : 0,
				     &items, &n_items, &st);

	mem_arena_free(scratch);
	if (rc < 0)
		return rc;
	*out = grp_status_message(ctx, m->user_id, &st, total ? total->last_paid_at : "");
	return *out ? 0 : err_oom();
}

int
grp_get_dues_status(rpc_ctx *ctx, const Kolo__Groups__V1__GetDuesStatusRequest *in,
		    Kolo__Groups__V1__GetDuesStatusResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	const char *caller = rpc_ctx_user_id(ctx);
	/* The gateway's public page calls for nobody (service token). */
	int service = grp_is_service_call(ctx), everyone = service;
	grp_standing_ask q = {.group_id = in->group_id,
			      .as_of = in->as_of,
			      .check_role = !service,
			      .need_officer = in->officers_only};
	grp_dues_facts f = {0};
	char as_of[11];
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = grp_standing_gather(&f, ctx, &q);
	if (rc < 0)
		return rc;
	/* Officers see every member's standing, a MEMBER their own
	 * (docs/decisions.md). */
	if (!service)
		everyone = grp_is_officer(f.view.my_role);
	out->members = mem_arena_alloc(a, sizeof(*out->members) * (size_t)(f.n_members + 1));
	if (!out->members)
		return err_oom();
	for (int i = 0; rc == 0 && i < f.n_members; i++) {
		if (!everyone && strcmp(f.members[i].user_id, caller) != 0)
			continue;
		rc = grp_status_one(ctx, &f, &f.members[i], f.contrib,
				    &out->members[out->n_members++]);
	}
	if (rc < 0)
		return rc;
	grp_day_format(f.as_of, as_of);
	out->as_of = mem_arena_strdup(a, as_of);
	out->attributed_kobo = f.contrib->attributed_kobo;
	out->unallocated_kobo = f.contrib->unallocated_kobo;
	out->data_as_of = (char *)(f.data_as_of ? f.data_as_of : "");
	return out->as_of ? 0 : err_oom();
}

/* --- GetMemberStatement
 * ---------------------------------------------------------- */

/* The ledger's contributions as the calendar reads them. */
static int
grp_money_of(mem_arena *a, const Kolo__Ledger__V1__ListContributionsResponse *r,
	     grp_dues_money **out)
{
	grp_dues_money *m = mem_arena_alloc(a, sizeof(*m) * (r->n_contributions + 1));

	if (!m)
		return err_oom();
	for (size_t i = 0; i < r->n_contributions; i++) {
		m[i].amount_kobo = r->contributions[i]->amount_kobo;
		if (grp_instant_parse(&m[i].at_s, r->contributions[i]->created_at) < 0)
			return err_set(ERR_INTERNAL, "internal",
				       "the ledger sent an unreadable time");
	}
	*out = m;
	return 0;
}

static const char *
grp_line_kind_name(grp_line_kind k)
{
	switch (k) {
	case GRP_LINE_DUE:
		return "due";
	case GRP_LINE_WAIVER:
		return "waiver";
	case GRP_LINE_CONTRIBUTION:
		return "contribution";
	case GRP_LINE_REVERSAL:
		return "reversal";
	}
	return "";
}

/* A line as a message: dues lines name their dues and day, money lines
 * their entry. */
static int
grp_line_message(mem_arena *a, const grp_dues_facts *f, const grp_due_item *items,
		 const Kolo__Ledger__V1__ListContributionsResponse *r, const grp_stmt_line *l,
		 Kolo__Groups__V1__StatementLine **out)
{
	Kolo__Groups__V1__StatementLine *m = mem_arena_alloc(a, sizeof(*m));
	char day[11];

	if (!m)
		return err_oom();
	kolo__groups__v1__statement_line__init(m);
	m->kind = (char *)grp_line_kind_name(l->kind);
	m->amount_kobo = l->amount_kobo;
	m->balance_kobo = l->balance_kobo;
	if (l->kind == GRP_LINE_DUE || l->kind == GRP_LINE_WAIVER) {
		const grp_due_item *it = &items[l->index];
		const grp_dues_row *d = &f->rows[it->dues_index];

		grp_day_format(it->day, day);
		m->date = mem_arena_strdup(a, day);
		m->dues_id = d->id;
		m->description = l->kind == GRP_LINE_DUE
					 ? d->name
					 : mem_arena_printf(a, "%s waived: %s", d->name,
							    f->waivers[it->waiver].reason);
		if (l->kind == GRP_LINE_DUE && it->settled_s >= 0) {
			grp_day_format(grp_day_wat(it->settled_s), day);
			m->settled_on = mem_arena_strdup(a, day);
		}
	} else {
		const Kolo__Ledger__V1__Contribution *ct = r->contributions[l->index];

		m->date = ct->created_at;
		m->entry_id = ct->entry_id;
		m->description = l->kind == GRP_LINE_REVERSAL ? "deposit reversed" : "deposit";
	}
	*out = m;
	return m->date && m->description && m->settled_on ? 0 : err_oom();
}

int
grp_get_member_statement(rpc_ctx *ctx, const Kolo__Groups__V1__GetMemberStatementRequest *in,
			 Kolo__Groups__V1__GetMemberStatementResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	grp_standing_ask q = {.group_id = in->group_id, .as_of = in->as_of, .check_role = 1};
	grp_dues_facts f = {0};
	grp_dues_money *money = NULL;
	grp_due_item *items = NULL;
	grp_stmt_line *lines = NULL;
	grp_dues_status st;
	size_t n_items = 0, n_lines = 0;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = grp_check_id(in->user_id, "user_id");
	/* in->user_id in lower case, as the caller's id is */
	if (rc == 0 && !(q.user = text_uuid_canonical(a, in->user_id)))
		rc = err_oom();
	/* The caller reads their own statement, an officer anyone's; a
	 * non-member is told the group does not exist. */
	q.need_officer = q.user && strcmp(rpc_ctx_user_id(ctx), q.user) != 0;
	if (rc == 0)
		rc = grp_standing_gather(&f, ctx, &q);
	if (rc == 0)
		rc = grp_money_of(a, f.contrib, &money);
	if (rc == 0)
		rc = grp_member_standing(a, &f, q.user, f.joined_s, money,
					 f.contrib->n_contributions, &items, &n_items, &st);
	if (rc == 0)
		rc = grp_dues_statement(&lines, &n_lines, a, items, n_items, money,
					f.contrib->n_contributions);
	if (rc < 0)
		return rc;
	out->status = grp_status_message(ctx, q.user, &st, grp_last_paid_at(f.contrib));
	out->lines = mem_arena_alloc(a, sizeof(*out->lines) * (n_lines + 1));
	if (!out->status || !out->lines)
		return err_oom();
	for (size_t i = 0; rc == 0 && i < n_lines; i++)
		rc = grp_line_message(a, &f, items, f.contrib, &lines[i], &out->lines[i]);
	out->n_lines = n_lines;
	out->data_as_of = (char *)(f.data_as_of ? f.data_as_of : "");
	return rc;
}
