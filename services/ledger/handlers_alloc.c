/* Members' contributions (DESIGN §15): AllocateEntry, ListAllocations,
 * ListUnallocated, ListContributions. Internal: groups checks officers,
 * PINs and membership before it calls. */
#include "handlers.h"

#include <string.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "ledger_service.h"
#include "store.h"
#include "svc/call.h"
#include "text/text.h"

static Kolo__Common__V1__Allocation *
ldg_allocation_message(mem_arena *a, const ldg_allocation *r)
{
	Kolo__Common__V1__Allocation *m = mem_arena_alloc(a, sizeof(*m));

	if (!m)
		return NULL;
	kolo__common__v1__allocation__init(m);
	m->id = r->id;
	m->entry_id = r->entry_id;
	m->group_id = r->group_id;
	m->user_id = r->user_id;
	m->method = r->method;
	m->allocated_by = r->allocated_by;
	m->reason = r->reason;
	m->created_at = r->created_at;
	m->superseded_at = r->superseded_at;
	m->superseded_by = r->superseded_by;
	return m;
}

int
ldg_allocate_entry(rpc_ctx *ctx, const Kolo__Ledger__V1__AllocateEntryRequest *in,
		   Kolo__Ledger__V1__AllocateEntryResponse *out)
{
	ldg_alloc_tx t = {.entry_id = in->entry_id,
			  .ask = {.group_id = in->group_id,
				  .user_id = in->user_id,
				  .allocated_by = in->allocated_by,
				  .reason = in->reason,
				  .reallocate = in->reallocate,
				  .expected_user_id = in->expected_user_id},
			  .lock_wait_ms = ldg_wait_ms(ctx),
			  .timeout_ms = svc_tx_timeout(ctx)};
	ldg_allocation row;
	db_conn *c = NULL;
	int rc = ldg_alloc_check(in->entry_id, &t.ask);

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = ldg_store_allocate(&row, rpc_ctx_arena(ctx), c, &t);
	if (rc == ERR_UNAVAILABLE && strcmp(err_last()->reason, "lock_not_available") == 0)
		return err_set(ERR_UNAVAILABLE, "group_busy",
			       "the group's ledger is busy; nothing was done, try again");
	/* Two allocations of one entry past the lock (none in force before):
	 * the in-force index lets one win. */
	if (rc == ERR_ALREADY_EXISTS)
		return err_set(ERR_ALREADY_EXISTS, "entry_already_allocated",
			       "the deposit is credited to a member already");
	if (rc < 0)
		return rc;
	out->allocation = ldg_allocation_message(rpc_ctx_arena(ctx), &row);
	return out->allocation ? 0 : err_oom();
}

int
ldg_list_allocations(rpc_ctx *ctx, const Kolo__Ledger__V1__ListAllocationsRequest *in,
		     Kolo__Ledger__V1__ListAllocationsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	ldg_allocation *rows = NULL;
	db_conn *c = NULL;
	int n = 0, found = 0, rc = 0;

	if (!text_is_uuid(in->group_id))
		return err_invalid_id("group_id");
	if (!text_is_uuid(in->entry_id))
		return err_invalid_id("entry_id");
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = ldg_store_allocations(&rows, &n, &out->user_id, &found, a, c, in->group_id,
					   in->entry_id);
	if (rc == 0 && !found)
		rc = err_set(ERR_NOT_FOUND, "entry_not_found", "the group has no such deposit");
	if (rc < 0)
		return rc;
	out->allocations = mem_arena_alloc(a, sizeof(*out->allocations) * (size_t)(n + 1));
	if (!out->allocations)
		return err_oom();
	for (int i = 0; i < n; i++) {
		out->allocations[i] = ldg_allocation_message(a, &rows[i]);
		if (!out->allocations[i])
			return err_oom();
	}
	out->n_allocations = (size_t)n;
	return 0;
}

static Kolo__Ledger__V1__UnallocatedEntry *
ldg_unallocated_message(rpc_ctx *ctx, const ldg_unallocated *u)
{
	Kolo__Ledger__V1__UnallocatedEntry *m = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*m));

	if (!m)
		return NULL;
	kolo__ledger__v1__unallocated_entry__init(m);
	m->entry = ldg_entry_message(ctx, &u->entry);
	m->payer_name = u->payer_name;
	m->payer_account_number = u->payer_account_number;
	m->payer_bank_name = u->payer_bank_name;
	return m->entry ? m : NULL;
}

int
ldg_list_unallocated(rpc_ctx *ctx, const Kolo__Ledger__V1__ListUnallocatedRequest *in,
		     Kolo__Ledger__V1__ListUnallocatedResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	page_request page;
	ldg_unallocated *rows = NULL;
	db_conn *c = NULL;
	int n = 0, rc = 0;

	if (!text_is_uuid(in->group_id))
		return err_invalid_id("group_id");
	rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = ldg_store_unallocated(&rows, &n, &out->unallocated_kobo, a, c, in->group_id,
					   &page);
	if (rc < 0)
		return rc;
	out->entries = page_items(&out->n_entries, a, &page, n, sizeof(*out->entries));
	if (!out->entries)
		return err_oom();
	for (size_t i = 0; i < out->n_entries; i++) {
		out->entries[i] = ldg_unallocated_message(ctx, &rows[i]);
		if (!out->entries[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(ldg_unallocated, entry.page_key, entry.id));
}

static int
ldg_contributions_out(mem_arena *a, const ldg_contributions *r,
		      Kolo__Ledger__V1__ListContributionsResponse *out)
{
	out->contributions =
		mem_arena_alloc(a, sizeof(*out->contributions) * (size_t)(r->n_lines + 1));
	out->totals = mem_arena_alloc(a, sizeof(*out->totals) * (size_t)(r->n_totals + 1));
	if (!out->contributions || !out->totals)
		return err_oom();
	for (int i = 0; i < r->n_lines; i++) {
		Kolo__Ledger__V1__Contribution *m = mem_arena_alloc(a, sizeof(*m));

		if (!m)
			return err_oom();
		kolo__ledger__v1__contribution__init(m);
		m->entry_id = r->lines[i].entry_id;
		m->user_id = r->lines[i].user_id;
		m->amount_kobo = r->lines[i].amount_kobo;
		m->created_at = r->lines[i].created_at;
		m->kind = r->lines[i].kind;
		m->reference = r->lines[i].reference;
		m->reversed = r->lines[i].reversed;
		out->contributions[out->n_contributions++] = m;
	}
	for (int i = 0; i < r->n_totals; i++) {
		Kolo__Ledger__V1__ContributionTotal *m = mem_arena_alloc(a, sizeof(*m));

		if (!m)
			return err_oom();
		kolo__ledger__v1__contribution_total__init(m);
		m->user_id = r->totals[i].user_id;
		m->paid_kobo = r->totals[i].paid_kobo;
		m->last_paid_at = r->totals[i].last_paid_at;
		out->totals[out->n_totals++] = m;
	}
	out->attributed_kobo = r->attributed_kobo;
	out->unallocated_kobo = r->unallocated_kobo;
	out->deposits_kobo = r->deposits_kobo;
	return 0;
}

/* ListContributions' read, run by db_read (a replica when one is set). */
typedef struct ldg_contrib_read {
	mem_arena *arena;
	const Kolo__Ledger__V1__ListContributionsRequest *in;
	ldg_contributions r; /* out */
} ldg_contrib_read;

static int
ldg_contrib_read_run(db_conn *c, void *arg)
{
	ldg_contrib_read *q = arg;

	return ldg_store_contributions(&q->r, q->arena, c, q->in->group_id, q->in->user_id,
				       q->in->until);
}

/* For statements and standings (groups), never for deciding: it may come
 * from the read replica, and then says how fresh it is (as_of). */
int
ldg_list_contributions(rpc_ctx *ctx, const Kolo__Ledger__V1__ListContributionsRequest *in,
		       Kolo__Ledger__V1__ListContributionsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	ldg_contrib_read q = {.arena = a, .in = in};
	const char *as_of = NULL;
	int rc = 0;

	if (!text_is_uuid(in->group_id))
		return err_invalid_id("group_id");
	if (in->user_id[0] && !text_is_uuid(in->user_id))
		return err_invalid_id("user_id");
	if (in->until[0] && !text_is_rfc3339(in->until))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_time",
			       "until must be an RFC 3339 time");
	rc = db_read(&as_of, a, ldg_contrib_read_run, &q);
	if (rc < 0)
		return rc;
	out->as_of = (char *)(as_of ? as_of : "");
	return ldg_contributions_out(a, &q.r, out);
}
