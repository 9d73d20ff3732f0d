/* PostEntry, GetBalance, ListEntries, GetEntry. */
#include "handlers.h"

#include <string.h>
#include <strings.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "ledger_service.h"
#include "post.h"
#include "membership/membership.h"
#include "store.h"
#include "svc/call.h"
#include "text/text.h"

static rpc_channel *ldg_groups;
static _Atomic int64_t ldg_lock_wait_ms = LDG_LOCK_WAIT_DEFAULT_MS;

void
ldg_use_channels(rpc_channel *groups)
{
	ldg_groups = groups;
}

void
ldg_set_lock_wait_ms(int64_t ms)
{
	ldg_lock_wait_ms = ms > 0 ? ms : LDG_LOCK_WAIT_DEFAULT_MS;
}

/* A user may read a group's books only as its member; a service (the
 * service token) may always. Non-members get NOT_FOUND. Passes are
 * remembered for KOLO_MEMBER_CACHE_MS (membership_check_reader). */
static int
ldg_check_reader(rpc_ctx *ctx, const char *group_id)
{
	return membership_check_reader(ctx, ldg_groups, group_id);
}

Kolo__Common__V1__LedgerEntry *
ldg_entry_message(rpc_ctx *ctx, const ldg_entry *e)
{
	Kolo__Common__V1__LedgerEntry *m = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*m));

	if (!m)
		return NULL;
	kolo__common__v1__ledger_entry__init(m);
	m->id = e->id;
	m->group_id = (char *)e->spec.group_id;
	m->account_id = (char *)e->spec.account_id;
	m->user_id = (char *)e->spec.user_id;
	m->type = e->spec.type == LDG_CREDIT ? KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT
					     : KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT;
	m->amount_kobo = e->spec.amount_kobo;
	m->currency = (char *)e->spec.currency;
	m->source = (char *)e->spec.source;
	m->reference = (char *)e->spec.reference;
	m->client_ref = (char *)e->spec.client_ref;
	m->simulated = e->spec.simulated;
	m->payment_channel = (char *)e->spec.payment_channel;
	m->rule_status = e->rule_status;
	m->created_at = e->created_at;
	return m;
}

/* --- PostEntry ------------------------------------------------------------- */

/* The fee DEBIT posted with a stored CREDIT, if any (t->has_fee). */
static int
ldg_existing_fee(db_conn *c, ldg_post_tx *t)
{
	const char *reference;

	t->has_fee = 0;
	if (t->entry.spec.type != LDG_CREDIT)
		return 0;
	reference = mem_arena_printf(t->arena, LDG_FEE_PREFIX "%s", t->entry.spec.reference);
	if (!reference)
		return err_oom();
	return ldg_store_find(&t->fee_entry, &t->has_fee, t->arena, c, "reference", reference);
}

/* A stored DEBIT's reversal link against the request's (a replay reverses
 * the same deposit, or none): t->other_reversal when they differ. */
static int
ldg_existing_reversal(db_conn *c, ldg_post_tx *t)
{
	char *deposit = NULL;
	int found = 0;
	int rc = ldg_store_reversed_by(&deposit, &found, t->arena, c, t->entry.id);

	if (rc == 0)
		t->other_reversal =
			strcasecmp(deposit, t->reverses_entry_id ? t->reverses_entry_id : "") != 0;
	return rc;
}

/* 1 when the stored entry (and its fee) say what t asks for. */
static int
ldg_same_post(const ldg_post_tx *t, int by_client_ref)
{
	int64_t stored_fee = t->has_fee ? t->fee_entry.spec.amount_kobo : 0;
	int64_t asked_fee = t->fee ? t->fee->amount_kobo : 0;

	return ldg_spec_same(&t->entry.spec, t->spec, by_client_ref) && stored_fee == asked_fee;
}

/* An entry already holds this reference or client_ref: the same content
 * (the fee included) is a replay (the original comes back), anything else
 * a conflict. */
static int
ldg_existing(db_conn *c, ldg_post_tx *t, int *found)
{
	const ldg_entry_spec *spec = t->spec;
	int by_client_ref = 0;
	int rc = ldg_store_find(&t->entry, found, t->arena, c, "reference", spec->reference);

	if (rc == 0 && !*found && spec->client_ref[0]) {
		by_client_ref = 1;
		rc = ldg_store_find(&t->entry, found, t->arena, c, "client_ref", spec->client_ref);
	}
	if (rc == 0 && *found)
		rc = ldg_existing_fee(c, t);
	if (rc == 0 && *found && t->entry.spec.type == LDG_DEBIT)
		rc = ldg_existing_reversal(c, t);
	if (rc < 0 || !*found || (ldg_same_post(t, by_client_ref) && !t->other_reversal))
		return rc;
	if (by_client_ref)
		return err_set(ERR_ALREADY_EXISTS, "client_ref_conflict",
			       "the idempotency key was used for a different entry");
	return err_set(ERR_ALREADY_EXISTS, "reference_conflict",
		       "reference %.64s is taken by a different entry", spec->reference);
}

/* A debit not posted and not a replay: the refusal recorded for its
 * reference (this one or an earlier one) answers, and a refusal of other
 * content is a conflict like an entry's. */
static int
ldg_refused(db_conn *c, const ldg_entry_spec *spec)
{
	ldg_refusal r;
	int found = 0;
	int rc = ldg_store_refusal(&r, &found, c, spec->reference);

	if (rc < 0)
		return rc;
	if (!found)
		return err_set(ERR_INTERNAL, NULL, "debit %.64s neither posted nor refused",
			       spec->reference);
	if (strcasecmp(r.group_id, spec->group_id) != 0 || r.amount_kobo != spec->amount_kobo)
		return err_set(ERR_ALREADY_EXISTS, "reference_conflict",
			       "reference %.64s is taken by a different entry", spec->reference);
	return err_set(ERR_FAILED_PRECONDITION, "insufficient_funds",
		       "the balance (%lld kobo) was below %lld kobo when this reference was posted",
		       (long long)r.balance_kobo, (long long)spec->amount_kobo);
}

static int
ldg_spec_of(ldg_entry_spec *out, const Kolo__Ledger__V1__PostEntryRequest *in)
{
	*out = (ldg_entry_spec){
		.group_id = in->group_id,
		.account_id = in->account_id,
		.user_id = in->user_id,
		.type = in->type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT  ? LDG_CREDIT
			: in->type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT ? LDG_DEBIT
										     : 0,
		.amount_kobo = in->amount_kobo,
		.currency = in->currency,
		.source = in->source,
		.reference = in->reference,
		.client_ref = in->client_ref,
		.simulated = in->simulated,
		.payment_channel = in->payment_channel,
	};
	return ldg_spec_check(out);
}

/* The fee DEBIT a request asks for with its CREDIT (t->fee stays NULL
 * without one). */
static int
ldg_fee_of(ldg_post_tx *t, ldg_entry_spec *out, int64_t fee_kobo)
{
	const char *reference;
	int rc = ldg_fee_check(t->spec, fee_kobo);

	if (rc < 0 || fee_kobo == 0)
		return rc;
	reference = mem_arena_printf(t->arena, LDG_FEE_PREFIX "%s", t->spec->reference);
	if (!reference)
		return err_oom();
	ldg_fee_spec(out, t->spec, fee_kobo, reference);
	t->fee = out;
	return 0;
}

/* The posting is one statement, its own transaction, so the group's
 * balance row is held only while PostgreSQL runs it (a transaction around
 * it would hold the hot row across a round trip). It waits for that row at
 * most KOLO_LEDGER_LOCK_WAIT_MS, and never past the caller's deadline: a
 * group held by a long transaction costs each caller a bounded wait of a
 * worker, not the worker, and other groups go on. */
int
ldg_post(rpc_ctx *ctx, db_conn *c, ldg_post_tx *t)
{
	int64_t deadline_ms = svc_tx_timeout(ctx);
	ldg_posting p = {.spec = t->spec,
			 .fee = t->fee,
			 .lock_wait_ms = ldg_lock_wait_ms,
			 .payer = t->payer,
			 .reverses_entry_id = t->reverses_entry_id,
			 .reversal_reason = t->reversal_reason,
			 .actor_id = t->actor_id};
	int rc;

	if (deadline_ms > 0 && deadline_ms < p.lock_wait_ms)
		p.lock_wait_ms = deadline_ms;
	rc = ldg_store_post(&t->entry, &t->fee_entry, &t->posted, t->arena, c, &p);
	t->has_fee = rc == 0 && t->posted && t->fee;
	if (rc == ERR_UNAVAILABLE && strcmp(err_last()->reason, "lock_not_available") == 0)
		return err_set(ERR_UNAVAILABLE, "group_busy",
			       "the group's ledger is busy; nothing was posted, try again");
	return rc;
}

/* A DEBIT with reverses_reference (DESIGN §15): the deposit it takes back
 * must be a deposit CREDIT of the group, of the same amount, reversed by no
 * other entry (ldg_reversal_decide). Its id goes with the posting, which
 * links the two in the debit's statement (once: a UNIQUE). */
static int
ldg_reversal_target(db_conn *c, ldg_post_tx *t, const char *reverses_reference)
{
	ldg_entry deposit;
	char *by = NULL;
	int found = 0, reversed = 0;
	int rc = ldg_store_find(&deposit, &found, t->arena, c, "reference", reverses_reference);

	if (rc == 0 && !found)
		return err_set(ERR_NOT_FOUND, "entry_not_found",
			       "the group has no entry %.64s to reverse", reverses_reference);
	if (rc == 0)
		rc = ldg_store_reversal_of(&by, &reversed, t->arena, c, deposit.id);
	if (rc == 0)
		rc = ldg_reversal_decide(t->spec, &deposit.spec,
					 reversed && strcmp(by, t->spec->reference) != 0);
	t->reverses_entry_id = deposit.id;
	return rc;
}

int
ldg_post_prepare(rpc_ctx *ctx, ldg_post_one *o, const Kolo__Ledger__V1__PostEntryRequest *in,
		 db_conn **out_conn)
{
	int rc;

	o->payer = (ldg_payer){in->payer_name, in->payer_account_number, in->payer_bank_name};
	o->t = (ldg_post_tx){.arena = rpc_ctx_arena(ctx),
			     .spec = &o->spec,
			     .payer = &o->payer,
			     .reverses_entry_id = "",
			     .reversal_reason = in->reversal_reason,
			     .actor_id = in->actor_id};
	rc = ldg_spec_of(&o->spec, in);
	if (rc == 0)
		rc = ldg_extras_check(&o->spec, &o->payer, in->reverses_reference);
	if (rc == 0)
		rc = ldg_reversal_audit_check(in->reverses_reference, in->reversal_reason,
					      in->actor_id);
	if (rc == 0)
		rc = ldg_fee_of(&o->t, &o->fee, in->fee_kobo);
	if (rc == 0)
		rc = db_thread_conn(out_conn);
	if (rc == 0 && in->reverses_reference[0])
		rc = ldg_reversal_target(*out_conn, &o->t, in->reverses_reference);
	return rc;
}

int
ldg_post_settle(db_conn *c, ldg_post_one *o, const Kolo__Ledger__V1__PostEntryRequest *in, int rc)
{
	ldg_post_tx *t = &o->t;
	int found = 0;

	if (rc == ERR_FAILED_PRECONDITION)
		return err_set(ERR_FAILED_PRECONDITION, "unknown_account",
			       "the group has no such account");
	/* Not posted (taken key, or a debit the balance refused): a replay
	 * of an earlier post, or a refusal, now or earlier. */
	if (rc == ERR_ALREADY_EXISTS || (rc == 0 && !t->posted))
		rc = ldg_existing(c, t, &found);
	/* Another reversal of the deposit won the race (its UNIQUE). */
	if (rc == 0 && !t->posted && !found && in->reverses_reference[0])
		rc = ldg_reversal_target(c, t, in->reverses_reference);
	if (rc == 0 && !t->posted && !found)
		rc = ldg_refused(c, &o->spec);
	return rc;
}

int
ldg_post_answer(rpc_ctx *ctx, const ldg_post_tx *t, Kolo__Ledger__V1__PostEntryResponse *out)
{
	out->replayed = !t->posted;
	out->entry = ldg_entry_message(ctx, &t->entry);
	if (out->entry && t->has_fee)
		out->fee_entry = ldg_entry_message(ctx, &t->fee_entry);
	return out->entry && (!t->has_fee || out->fee_entry) ? 0 : err_oom();
}

int
ldg_post_entry(rpc_ctx *ctx, const Kolo__Ledger__V1__PostEntryRequest *in,
	       Kolo__Ledger__V1__PostEntryResponse *out)
{
	ldg_post_one o;
	db_conn *c = NULL;
	int rc = ldg_post_prepare(ctx, &o, in, &c);

	if (rc < 0)
		return rc;
	/* A plain debit may be posted with others of its group (coalesce.c). */
	if (o.spec.type == LDG_DEBIT && !o.t.fee && !in->reverses_reference[0])
		rc = ldg_post_settle(c, &o, in, ldg_coalesce_post(ctx, c, &o.t));
	else
		rc = ldg_post_settle(c, &o, in, ldg_post(ctx, c, &o.t));
	/* A replay answers for a posting found done, maybe one whose commit
	 * the standby never confirmed: a commit of its own waits for it. */
	if (rc == 0 && !o.t.posted)
		rc = db_fence(c);
	if (rc < 0)
		return rc;
	return ldg_post_answer(ctx, &o.t, out);
}

/* --- reads -------------------------------------------------------------------- */

int
ldg_get_balance(rpc_ctx *ctx, const Kolo__Ledger__V1__GetBalanceRequest *in,
		Kolo__Ledger__V1__GetBalanceResponse *out)
{
	db_conn *c = NULL;
	int rc = ldg_check_reader(ctx, in->group_id);

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = ldg_store_balance(&out->balance_kobo, &out->held_kobo, c, in->group_id);
	out->available_kobo =
		out->balance_kobo > out->held_kobo ? out->balance_kobo - out->held_kobo : 0;
	out->group_id = in->group_id;
	out->currency = "NGN";
	return rc;
}

static int
ldg_filter_of(ldg_filter *out, const Kolo__Ledger__V1__ListEntriesRequest *in)
{
	out->type = in->type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_CREDIT	 ? LDG_CREDIT
		    : in->type == KOLO__COMMON__V1__ENTRY_TYPE__ENTRY_TYPE_DEBIT ? LDG_DEBIT
										 : 0;
	if (in->type && !out->type)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_type",
			       "type must be CREDIT or DEBIT");
	/* Checked here: PostgreSQL would also read "yesterday" or "now". */
	if ((in->from_time[0] && !text_is_rfc3339(in->from_time)) ||
	    (in->to_time[0] && !text_is_rfc3339(in->to_time)))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_time",
			       "from and to must be RFC 3339 times "
			       "(2026-12-06T10:00:00Z; '+' sent as %%2B)");
	out->from = in->from_time;
	out->to = in->to_time;
	out->oldest_first = in->oldest_first;
	return 0;
}

/* ListEntries' page, read by db_read (a replica when one is set). */
typedef struct ldg_list_read {
	mem_arena *arena;
	const char *group_id;
	const ldg_filter *filter;
	const page_request *page;
	ldg_entry *rows; /* out */
	int n;		 /* out */
} ldg_list_read;

static int
ldg_list_read_run(db_conn *c, void *arg)
{
	ldg_list_read *r = arg;

	return ldg_store_list(&r->rows, &r->n, r->arena, c, r->group_id, r->filter, r->page);
}

/* A list for reading, never for deciding: it may come from the read
 * replica, and then says how fresh it is (as_of). */
int
ldg_list_entries(rpc_ctx *ctx, const Kolo__Ledger__V1__ListEntriesRequest *in,
		 Kolo__Ledger__V1__ListEntriesResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	page_request page;
	ldg_filter filter;
	ldg_list_read r = {.arena = a, .group_id = in->group_id, .filter = &filter, .page = &page};
	const char *as_of = NULL;
	ldg_entry *rows;
	int n, rc = ldg_check_reader(ctx, in->group_id);

	if (rc == 0)
		rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = ldg_filter_of(&filter, in);
	if (rc == 0)
		rc = db_read(&as_of, a, ldg_list_read_run, &r);
	if (rc < 0)
		return rc;
	rows = r.rows;
	n = r.n;
	out->as_of = (char *)(as_of ? as_of : "");
	out->entries = page_items(&out->n_entries, a, &page, n, sizeof(*out->entries));
	if (!out->entries)
		return err_oom();
	for (size_t i = 0; i < out->n_entries; i++) {
		out->entries[i] = ldg_entry_message(ctx, &rows[i]);
		if (!out->entries[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(ldg_entry, page_key, id));
}

int
ldg_get_entry(rpc_ctx *ctx, const Kolo__Ledger__V1__GetEntryRequest *in,
	      Kolo__Ledger__V1__GetEntryResponse *out)
{
	ldg_entry entry;
	db_conn *c = NULL;
	int found = 0, rc = 0;
	int by_id = in->key_case == KOLO__LEDGER__V1__GET_ENTRY_REQUEST__KEY_ENTRY_ID;

	if (by_id && !text_is_uuid(in->entry_id))
		rc = err_invalid_id("entry_id");
	else if (!by_id && (in->key_case != KOLO__LEDGER__V1__GET_ENTRY_REQUEST__KEY_REFERENCE ||
			    !in->reference[0]))
		rc = err_set(ERR_INVALID_ARGUMENT, "missing_key",
			     "entry_id or reference is required");
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = ldg_store_find(&entry, &found, rpc_ctx_arena(ctx), c,
				    by_id ? "id" : "reference",
				    by_id ? in->entry_id : in->reference);
	if (rc == 0 && !found)
		rc = err_set(ERR_NOT_FOUND, "entry_not_found", "no such entry");
	/* A user sees entries of their own groups only. */
	if (rc == 0)
		rc = ldg_check_reader(ctx, entry.spec.group_id);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "entry_not_found", "no such entry");
	if (rc < 0)
		return rc;
	out->entry = ldg_entry_message(ctx, &entry);
	return out->entry ? 0 : err_oom();
}

/* --- holds (DESIGN §13) ----------------------------------------------------- */

static Kolo__Ledger__V1__Hold *
ldg_hold_message(rpc_ctx *ctx, const ldg_hold *h)
{
	Kolo__Ledger__V1__Hold *m = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*m));

	if (!m)
		return NULL;
	kolo__ledger__v1__hold__init(m);
	m->id = h->id;
	m->group_id = h->group_id;
	m->reference = h->reference;
	m->amount_kobo = h->amount_kobo;
	m->status = h->status;
	m->expires_at = h->expires_at;
	m->entry_id = h->entry_id;
	m->created_at = h->created_at;
	m->closed_reason = h->closed_reason;
	return m;
}

/* How long a hold call waits for its group's row: as a posting's. */
int64_t
ldg_wait_ms(rpc_ctx *ctx)
{
	int64_t deadline_ms = svc_tx_timeout(ctx);

	return deadline_ms > 0 && deadline_ms < ldg_lock_wait_ms ? deadline_ms : ldg_lock_wait_ms;
}

static int
ldg_busy(int rc)
{
	if (rc == ERR_UNAVAILABLE && strcmp(err_last()->reason, "lock_not_available") == 0)
		return err_set(ERR_UNAVAILABLE, "group_busy",
			       "the group's ledger is busy; nothing was done, try again");
	return rc;
}

int
ldg_place_hold(rpc_ctx *ctx, const Kolo__Ledger__V1__PlaceHoldRequest *in,
	       Kolo__Ledger__V1__PlaceHoldResponse *out)
{
	ldg_hold h;
	db_conn *c = NULL;
	int found = 0, existed = 0;
	ldg_hold_slot ask = {.group_id = in->group_id,
			     .amount_kobo = in->amount_kobo,
			     .reference = in->reference,
			     .expires_at = in->expires_at,
			     .arena = rpc_ctx_arena(ctx),
			     .out = &h,
			     .found = &found,
			     .existed = &existed};
	int rc = ldg_hold_check(in->group_id, in->amount_kobo, in->reference);

	if (rc == 0)
		rc = db_thread_conn(&c);
	/* with other holds of the group arriving together (coalesce.c) */
	if (rc == 0)
		rc = ldg_busy(ldg_coalesce_hold(ctx, c, &ask));
	if (rc == ERR_FAILED_PRECONDITION)
		return err_set(ERR_FAILED_PRECONDITION, "unknown_group", "no such group");
	if (rc < 0)
		return rc;
	if (!found)
		return err_set(ERR_FAILED_PRECONDITION, "insufficient_funds",
			       "the available balance is below %lld kobo",
			       (long long)in->amount_kobo);
	if (strcasecmp(h.group_id, in->group_id) != 0 || h.amount_kobo != in->amount_kobo)
		return err_set(ERR_ALREADY_EXISTS, "reference_conflict",
			       "reference %.64s holds other money", in->reference);
	if (strcmp(h.status, "held") != 0)
		return err_set(ERR_FAILED_PRECONDITION, "hold_closed", "the hold %.64s was %s",
			       in->reference, h.closed_reason);
	if (existed && db_fence(c) < 0) /* as a posting's replay */
		return err_last()->code;
	out->replayed = existed;
	out->hold = ldg_hold_message(ctx, &h);
	return out->hold ? 0 : err_oom();
}

int
ldg_release_hold(rpc_ctx *ctx, const Kolo__Ledger__V1__ReleaseHoldRequest *in,
		 Kolo__Ledger__V1__ReleaseHoldResponse *out)
{
	ldg_hold h;
	db_conn *c = NULL;
	int found = 0;
	int rc = ldg_hold_ref_check(in->reference);

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = ldg_busy(ldg_store_release_hold(&h, &found, rpc_ctx_arena(ctx), c,
						     in->reference, ldg_wait_ms(ctx)));
	if (rc == 0 && !found)
		rc = err_set(ERR_NOT_FOUND, "hold_not_found", "no such hold");
	if (rc == 0 && strcmp(h.status, "captured") == 0)
		rc = err_set(ERR_FAILED_PRECONDITION, "hold_captured",
			     "the hold was captured: its money left");
	if (rc < 0)
		return rc;
	out->hold = ldg_hold_message(ctx, &h);
	return out->hold ? 0 : err_oom();
}

/* The DEBIT a capture writes: the hold's group and amount as the caller
 * knows them, its account, reference, source and flags; checked as a posted
 * entry's. */
static int
ldg_capture_spec(ldg_entry_spec *out, const Kolo__Ledger__V1__CaptureHoldRequest *in)
{
	*out = (ldg_entry_spec){.group_id = in->group_id,
				.account_id = in->account_id,
				.user_id = "",
				.type = LDG_DEBIT,
				.amount_kobo = in->amount_kobo,
				.currency = "NGN",
				.source = in->source,
				.reference = in->entry_reference,
				.client_ref = "",
				.simulated = in->simulated,
				.payment_channel = in->payment_channel};
	return ldg_spec_check(out);
}

int
ldg_capture_hold(rpc_ctx *ctx, const Kolo__Ledger__V1__CaptureHoldRequest *in,
		 Kolo__Ledger__V1__CaptureHoldResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	ldg_entry_spec spec;
	ldg_post_tx t = {.arena = a, .spec = &spec, .reverses_entry_id = ""};
	db_conn *c = NULL;
	int found = 0;
	int rc = ldg_hold_ref_check(in->reference);

	if (rc == 0)
		rc = ldg_capture_spec(&spec, in);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = ldg_busy(ldg_store_capture_hold(&t.entry, &t.posted, a, c, in->reference,
						     &spec, ldg_wait_ms(ctx)));
	if (rc == ERR_FAILED_PRECONDITION)
		return err_set(ERR_FAILED_PRECONDITION, "unknown_account",
			       "the group has no such account");
	/* Not posted: the entry already there (a replay, or another's), or
	 * no live hold to capture (refused, for ever). */
	if (rc == 0 && !t.posted)
		rc = ldg_existing(c, &t, &found);
	if (rc == 0 && !t.posted && !found)
		return err_set(ERR_FAILED_PRECONDITION, "hold_not_held",
			       "no live hold %.64s of that group and amount to capture",
			       in->reference);
	if (rc == 0 && !t.posted) /* as a posting's replay */
		rc = db_fence(c);
	if (rc < 0)
		return rc;
	out->replayed = !t.posted;
	out->entry = ldg_entry_message(ctx, &t.entry);
	return out->entry ? 0 : err_oom();
}

/* --- the method table: every LedgerService RPC with its handler and who may call it. */
static const rpc_method ldg_methods[] = {
	RPC_METHOD(Kolo__Ledger__V1__, PostEntry, ldg_post_entry, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, PostEntries, ldg_post_entries, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, GetBalance, ldg_get_balance,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, ListEntries, ldg_list_entries,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, GetEntry, ldg_get_entry, RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, PlaceHold, ldg_place_hold, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, ReleaseHold, ldg_release_hold, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, CaptureHold, ldg_capture_hold, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, ReadOutbox, ldg_read_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, AckOutbox, ldg_ack_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, AllocateEntry, ldg_allocate_entry, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, ListAllocations, ldg_list_allocations, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, ListUnallocated, ldg_list_unallocated, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Ledger__V1__, ListContributions, ldg_list_contributions,
		   RPC_AUTH_INTERNAL),
};

const rpc_service ldg_rpc_service = {
	.descriptor = &kolo__ledger__v1__ledger_service__descriptor,
	.methods = ldg_methods,
	.n_methods = sizeof(ldg_methods) / sizeof(ldg_methods[0]),
};
