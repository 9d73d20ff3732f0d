/* Members' contributions, the officers' side (DESIGN §15): ListUnallocated,
 * AllocateDeposit, ListAllocations. Groups checks who asks (officers, PIN,
 * membership); the ledger keeps the book (its internal AllocateEntry,
 * ListUnallocated, ListAllocations, called with the service token). */
#include "groups_service.h"
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "log/log.h"
#include "svc/call.h"
#include "svc/pin.h"

rpc_channel *grp_ledger;

void
grp_use_ledger(rpc_channel *ledger)
{
	grp_ledger = ledger;
}

/* The caller's view of the group: a member (else NOT_FOUND), and an
 * officer when need_officer. */
static int
grp_alloc_view(rpc_ctx *ctx, db_conn *c, const char *group_id, int need_officer, grp_view *v)
{
	int rc = grp_store_view(v, rpc_ctx_arena(ctx), c, group_id, rpc_ctx_user_id(ctx), 0);

	return rc == 0 ? grp_require_role(v, need_officer, 0) : rc;
}

/* A read the ledger answers: the caller's view of the group (v: a member,
 * an officer with need_officer), then the ledger's internal method with
 * req, its reply in *resp (in the call's arena). */
static int
grp_alloc_ledger_read(ProtobufCMessage **resp, grp_view *v, rpc_ctx *ctx, const char *group_id,
		      int need_officer, const char *method, const ProtobufCMessage *req)
{
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = grp_alloc_view(ctx, c, group_id, need_officer, v);
	if (rc == 0)
		rc = svc_call(ctx, grp_ledger, method, req, resp, SVC_CALL_INTERNAL);
	return rc;
}

/* An account number as officers see it: its last 4 digits ("******6789"). */
static char *
grp_mask_account(mem_arena *a, const char *number)
{
	size_t n = strlen(number);

	if (n == 0)
		return "";
	return mem_arena_printf(a, "******%s", n > 4 ? number + n - 4 : number);
}

static int
grp_unallocated_out(mem_arena *a, const Kolo__Ledger__V1__ListUnallocatedResponse *l,
		    Kolo__Groups__V1__ListUnallocatedResponse *out)
{
	out->deposits = mem_arena_alloc(a, sizeof(*out->deposits) * (l->n_entries + 1));
	if (!out->deposits)
		return err_oom();
	for (size_t i = 0; i < l->n_entries; i++) {
		Kolo__Groups__V1__UnallocatedDeposit *d = mem_arena_alloc(a, sizeof(*d));

		if (!d)
			return err_oom();
		kolo__groups__v1__unallocated_deposit__init(d);
		d->entry = l->entries[i]->entry;
		d->sender_name = l->entries[i]->payer_name;
		d->sender_account_number = grp_mask_account(a, l->entries[i]->payer_account_number);
		d->sender_bank_name = l->entries[i]->payer_bank_name;
		if (!d->sender_account_number)
			return err_oom();
		out->deposits[out->n_deposits++] = d;
	}
	out->next_page_token = l->next_page_token;
	out->unallocated_kobo = l->unallocated_kobo;
	return 0;
}

int
grp_list_unallocated(rpc_ctx *ctx, const Kolo__Groups__V1__ListUnallocatedRequest *in,
		     Kolo__Groups__V1__ListUnallocatedResponse *out)
{
	Kolo__Ledger__V1__ListUnallocatedRequest lreq =
		KOLO__LEDGER__V1__LIST_UNALLOCATED_REQUEST__INIT;
	Kolo__Ledger__V1__ListUnallocatedResponse *l = NULL;
	grp_view v;
	int rc = grp_check_id(in->group_id, "group_id");

	lreq.group_id = in->group_id;
	lreq.page_size = in->page_size;
	lreq.page_token = in->page_token;
	if (rc == 0)
		rc = grp_alloc_ledger_read((ProtobufCMessage **)&l, &v, ctx, in->group_id, 1,
					   "ListUnallocated", &lreq.base);
	if (rc < 0)
		return rc;
	return grp_unallocated_out(rpc_ctx_arena(ctx), l, out);
}

/* The user a deposit goes to must be a member of the group now. */
static int
grp_alloc_member(rpc_ctx *ctx, db_conn *c, const char *group_id, const char *user_id)
{
	grp_member m;
	int rc = grp_store_member(&m, rpc_ctx_arena(ctx), c, group_id, user_id);

	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_FAILED_PRECONDITION, "not_a_member",
			       "the user is not a member of the group");
	return rc;
}

static int
grp_alloc_check(const Kolo__Groups__V1__AllocateDepositRequest *in)
{
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = grp_check_id(in->entry_id, "entry_id");
	if (rc == 0)
		rc = grp_check_id(in->user_id, "user_id");
	if (rc == 0 && strlen(in->reason) > 500)
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_reason",
			     "reason is at most 500 characters");
	if (rc == 0 && in->reallocate && !in->reason[0])
		rc = err_set(ERR_INVALID_ARGUMENT, "reason_required",
			     "a reallocation needs a reason");
	if (rc == 0 && in->reallocate && !in->expected_user_id[0])
		rc = err_set(ERR_INVALID_ARGUMENT, "missing_field",
			     "a reallocation names the member it is credited to now"
			     " (expected_user_id)");
	if (rc == 0 && in->expected_user_id[0])
		rc = grp_check_id(in->expected_user_id, "expected_user_id");
	return rc;
}

/* Nobody credits a deposit to themselves: the group's one promise (no
 * single person takes the group's money or its members' standing) needs
 * another officer. The ledger refuses it too. */
static int
grp_alloc_not_self(rpc_ctx *ctx, const char *user_id)
{
	if (strcasecmp(user_id, rpc_ctx_user_id(ctx)) == 0)
		return err_set(ERR_PERMISSION_DENIED, "self_allocation",
			       "an officer does not credit a deposit to themselves: another"
			       " officer must");
	return 0;
}

/* One AllocateDeposit: with a request_id, the key's row is held while
 * the ledger writes (db_tx_single: the outside call is made once), so a
 * retry with the key gets the stored reply and allocates nothing twice. */
typedef struct grp_alloc_tx {
	rpc_ctx *ctx;
	const Kolo__Groups__V1__AllocateDepositRequest *in;
	Kolo__Groups__V1__AllocateDepositResponse *out;
	idem_key key;
	int recovered; /* the ledger's allocation of an earlier try, never logged */
} grp_alloc_tx;

/* The ledger's list of the deposit's allocations as the decision reads it. */
static int
grp_alloc_rows(grp_alloc_row **out, mem_arena *a,
	       const Kolo__Ledger__V1__ListAllocationsResponse *l)
{
	grp_alloc_row *rows = mem_arena_alloc(a, sizeof(*rows) * (l->n_allocations + 1));

	if (!rows)
		return err_oom();
	for (size_t i = 0; i < l->n_allocations; i++) {
		const Kolo__Common__V1__Allocation *m = l->allocations[i];

		rows[i] = (grp_alloc_row){.id = m->id,
					  .user_id = m->user_id,
					  .allocated_by = m->allocated_by,
					  .reason = m->reason,
					  .superseded_at = m->superseded_at};
	}
	*out = rows;
	return 0;
}

/* After a ledger refusal that a retry of this very request meets
 * (grp_alloc_may_be_earlier): the deposit's allocations (the ledger's
 * ListAllocations), then grp_alloc_earlier_pick: the allocation an earlier
 * try wrote (it died before its reply was stored) is the reply, and *mine
 * is 1. *mine 0 otherwise (the refusal stands). */
static int
grp_alloc_earlier(grp_alloc_tx *t, int *mine)
{
	const Kolo__Groups__V1__AllocateDepositRequest *in = t->in;
	Kolo__Ledger__V1__ListAllocationsRequest lreq =
		KOLO__LEDGER__V1__LIST_ALLOCATIONS_REQUEST__INIT;
	Kolo__Ledger__V1__ListAllocationsResponse *l = NULL;
	grp_alloc_facts f = {
		.user_id = in->user_id, .officer = rpc_ctx_user_id(t->ctx), .reason = in->reason};
	grp_alloc_row *rows = NULL;
	int pick, rc;

	*mine = 0;
	if (!grp_alloc_may_be_earlier(t->key.key != NULL, err_last()->reason))
		return 0;
	lreq.group_id = in->group_id;
	lreq.entry_id = in->entry_id;
	rc = svc_call(t->ctx, grp_ledger, "ListAllocations", &lreq.base, (ProtobufCMessage **)&l,
		      SVC_CALL_INTERNAL);
	if (rc == 0)
		rc = grp_alloc_rows(&rows, rpc_ctx_arena(t->ctx), l);
	if (rc < 0)
		return rc;
	f.rows = rows;
	f.n = l->n_allocations;
	pick = grp_alloc_earlier_pick(&f);
	if (pick >= 0) {
		t->out->allocation = l->allocations[pick];
		*mine = 1;
	}
	return 0;
}

static int
grp_alloc_body(db_conn *c, void *arg)
{
	grp_alloc_tx *t = arg;
	const Kolo__Groups__V1__AllocateDepositRequest *in = t->in;
	Kolo__Ledger__V1__AllocateEntryRequest lreq =
		KOLO__LEDGER__V1__ALLOCATE_ENTRY_REQUEST__INIT;
	Kolo__Ledger__V1__AllocateEntryResponse *l = NULL;
	int rc = grp_alloc_member(t->ctx, c, in->group_id, in->user_id);

	lreq.group_id = in->group_id;
	lreq.entry_id = in->entry_id;
	lreq.user_id = in->user_id;
	lreq.allocated_by = (char *)rpc_ctx_user_id(t->ctx);
	lreq.reason = in->reason;
	lreq.reallocate = in->reallocate;
	lreq.expected_user_id = in->expected_user_id;
	if (rc == 0)
		rc = svc_call(t->ctx, grp_ledger, "AllocateEntry", &lreq.base,
			      (ProtobufCMessage **)&l, SVC_CALL_INTERNAL);
	if (rc == ERR_ALREADY_EXISTS || rc == ERR_FAILED_PRECONDITION || rc == ERR_ABORTED) {
		int mine = 0;
		err_info why = *err_last(); /* the ledger's refusal */

		rc = grp_alloc_earlier(t, &mine);
		if (rc == 0 && !mine)
			rc = err_set(why.code, why.reason, "%s", why.message);
		t->recovered = mine;
	} else if (rc == 0) {
		t->out->allocation = l->allocation;
	}
	return rc;
}

int
grp_allocate_deposit(rpc_ctx *ctx, const Kolo__Groups__V1__AllocateDepositRequest *in,
		     Kolo__Groups__V1__AllocateDepositResponse *out)
{
	static const char *const omit[] = {"pin", NULL};
	grp_alloc_tx t = {.ctx = ctx, .in = in, .out = out};
	/* One try: the body asks the ledger (a retry would ask again). */
	idem_tx it = {.key = &t.key,
		      .arena = rpc_ctx_arena(ctx),
		      .resp = &out->base,
		      .body = grp_alloc_body,
		      .arg = &t,
		      .single = 1};
	grp_view v;
	db_conn *c = NULL;
	int rc = grp_alloc_check(in);

	if (rc == 0)
		rc = idem_prepare(&t.key, ctx, IDEM_GROUPS, &in->base, omit);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_alloc_view(ctx, c, in->group_id, 1, &v);
	if (rc == 0)
		rc = grp_alloc_not_self(ctx, in->user_id);
	/* The PIN is checked on every call, a replay's too (never stored). */
	if (rc == 0)
		rc = svc_verify_pin(ctx, grp_identity, in->pin);
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc < 0)
		return rc;
	if (t.recovered) /* the try that wrote it died before logging */
		log_event(LOG_LVL_INFO, "deposit_allocated", "group_id", in->group_id, "actor",
			  rpc_ctx_user_id(ctx), "subject", in->user_id, "recovered", "true", NULL);
	else if (!it.replayed)
		grp_log_change(ctx, "deposit_allocated", in->group_id, in->user_id);
	return 0;
}

int
grp_list_allocations(rpc_ctx *ctx, const Kolo__Groups__V1__ListAllocationsRequest *in,
		     Kolo__Groups__V1__ListAllocationsResponse *out)
{
	Kolo__Ledger__V1__ListAllocationsRequest lreq =
		KOLO__LEDGER__V1__LIST_ALLOCATIONS_REQUEST__INIT;
	Kolo__Ledger__V1__ListAllocationsResponse *l = NULL;
	grp_view v;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = grp_check_id(in->entry_id, "entry_id");
	lreq.group_id = in->group_id;
	lreq.entry_id = in->entry_id;
	if (rc == 0)
		rc = grp_alloc_ledger_read((ProtobufCMessage **)&l, &v, ctx, in->group_id, 0,
					   "ListAllocations", &lreq.base);
	if (rc < 0)
		return rc;
	/* A member who is not an officer sees the trail of a deposit credited
	 * to them only. */
	if (!grp_is_officer(v.my_role) && strcasecmp(l->user_id, rpc_ctx_user_id(ctx)) != 0)
		return err_set(ERR_PERMISSION_DENIED, "officer_only",
			       "only officers, and the member it is credited to, see this trail");
	out->n_allocations = l->n_allocations;
	out->allocations = l->allocations;
	return 0;
}
