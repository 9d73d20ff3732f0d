/* Proposals: ListProposals, GetProposal, ApproveProposal, ObjectProposal,
 * CancelProposal (DESIGN §12), and the proposal message. */
#include "handlers.h"

#include <string.h>

#include "svc/call.h"
#include "svc/pin.h"

/* --- the message
 * ------------------------------------------------------------------ */

/* A display name, or "" when identity cannot say. */
static char *
grp_name_of(rpc_ctx *ctx, const char *user_id)
{
	Kolo__Identity__V1__User *user = NULL;

	if (!user_id[0] || grp_lookup_user(ctx, user_id, &user) < 0) {
		err_clear();
		return "";
	}
	return user->name;
}

static Kolo__Groups__V1__ProposalChange *
grp_change_message(mem_arena *a, const grp_change *ch)
{
	Kolo__Groups__V1__ProposalChange *out = mem_arena_alloc(a, sizeof(*out));

	if (!out)
		return NULL;
	kolo__groups__v1__proposal_change__init(out);
	out->rule_template = (Kolo__Common__V1__RuleTemplate)ch->rule.template_;
	out->approvals_required = ch->rule.approvals_required;
	out->approvals_cap = ch->rule.approvals_cap;
	out->n_approval_tiers = (size_t)ch->n_tiers;
	out->approval_tiers = grp_tier_messages(a, ch->tiers, ch->n_tiers);
	out->role = (Kolo__Common__V1__Role)ch->role;
	return out->approval_tiers ? out : NULL;
}

static int
grp_vote_messages(rpc_ctx *ctx, const grp_proposal *p, Kolo__Groups__V1__Proposal *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	size_t cap = (size_t)p->n_votes + 1;

	out->approvals = mem_arena_alloc(a, sizeof(*out->approvals) * cap);
	out->objections = mem_arena_alloc(a, sizeof(*out->objections) * cap);
	if (!out->approvals || !out->objections)
		return err_oom();
	for (int i = 0; i < p->n_votes; i++) {
		Kolo__Groups__V1__ProposalVote *v = mem_arena_alloc(a, sizeof(*v));

		if (!v)
			return err_oom();
		kolo__groups__v1__proposal_vote__init(v);
		v->user_id = p->votes[i].user_id;
		v->created_at = p->votes[i].created_at;
		v->name = grp_name_of(ctx, v->user_id);
		if (p->votes[i].objection)
			out->objections[out->n_objections++] = v;
		else
			out->approvals[out->n_approvals++] = v;
	}
	return 0;
}

Kolo__Groups__V1__Proposal *
grp_proposal_message(rpc_ctx *ctx, const grp_proposal *p)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	Kolo__Groups__V1__Proposal *out = mem_arena_alloc(a, sizeof(*out));

	if (!out)
		return NULL;
	kolo__groups__v1__proposal__init(out);
	out->id = p->id;
	out->group_id = p->group_id;
	out->kind = (char *)grp_prop_kind_text(p->change.kind);
	out->change = grp_change_message(a, &p->change);
	out->subject_user_id = p->subject;
	out->proposed_by = p->proposed_by;
	out->status = (char *)grp_prop_state_text(p->status);
	out->approvals_required = p->approvals_required;
	out->applies_at = p->applies_at;
	out->created_at = p->created_at;
	out->decided_at = p->decided_at;
	out->expires_at = p->expires_at;
	out->reason = p->reason;
	out->passed_by_members = p->passed_by_members;
	out->proposed_by_name = grp_name_of(ctx, p->proposed_by);
	out->subject_name = grp_name_of(ctx, p->subject);
	out->summary = grp_change_summary(a, &p->change, out->subject_name);
	if (!out->change || !out->summary || grp_vote_messages(ctx, p, out) < 0)
		return NULL;
	return out;
}

/* --- reads
 * -------------------------------------------------------------------------- */

/* The caller must be a member of group_id; a service call reads any group. */
static int
grp_require_reader(rpc_ctx *ctx, db_conn *c, const char *group_id)
{
	grp_view v;
	int rc;

	if (!rpc_ctx_user_id(ctx))
		return rpc_ctx_is_internal(ctx) ? 0
						: err_set(ERR_UNAUTHENTICATED, NULL, "no caller");
	rc = grp_store_view(&v, rpc_ctx_arena(ctx), c, group_id, rpc_ctx_user_id(ctx), 0);
	if (rc == 0)
		rc = grp_require_role(&v, 0, 0);
	return rc;
}

int
grp_list_proposals(rpc_ctx *ctx, const Kolo__Groups__V1__ListProposalsRequest *in,
		   Kolo__Groups__V1__ListProposalsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	page_request page;
	grp_proposal *rows = NULL;
	db_conn *c = NULL;
	int n = 0, rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_require_reader(ctx, c, in->group_id);
	if (rc == 0)
		rc = grp_store_proposals(&rows, &n, a, c, in->group_id, &page);
	if (rc < 0)
		return rc;
	out->proposals = page_items(&out->n_proposals, a, &page, n, sizeof(*out->proposals));
	if (!out->proposals)
		return err_oom();
	for (size_t i = 0; i < out->n_proposals; i++) {
		out->proposals[i] = grp_proposal_message(ctx, &rows[i]);
		if (!out->proposals[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(grp_proposal, page_key, id));
}

/* A proposal of a group the caller belongs to (else NOT_FOUND). */
static int
grp_read_proposal_for(rpc_ctx *ctx, const char *id, grp_proposal *out)
{
	db_conn *c = NULL;
	int rc = grp_check_id(id, "proposal_id");

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_proposal(out, rpc_ctx_arena(ctx), c, id, 0);
	if (rc == 0)
		rc = grp_require_reader(ctx, c, out->group_id);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "proposal_not_found", "no such proposal");
	return rc;
}

int
grp_get_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__GetProposalRequest *in,
		 Kolo__Groups__V1__GetProposalResponse *out)
{
	grp_proposal p;
	int rc = grp_read_proposal_for(ctx, in->proposal_id, &p);

	if (rc < 0)
		return rc;
	out->proposal = grp_proposal_message(ctx, &p);
	return out->proposal ? 0 : err_oom();
}

/* --- approve, object, cancel
 * ----------------------------------------------------------- */

typedef enum grp_act { GRP_ACT_APPROVE, GRP_ACT_OBJECT, GRP_ACT_CANCEL } grp_act;

typedef struct grp_act_tx {
	mem_arena *arena;
	const char *id, *user;
	grp_act act;
	grp_proposal proposal;
} grp_act_tx;

/* The states an act is open in: approvals while PENDING; objections and
 * cancelling until the proposal applies. */
static int
grp_act_open(grp_act act, grp_prop_state s)
{
	if (act == GRP_ACT_APPROVE)
		return s == GRP_PROP_PENDING;
	return s == GRP_PROP_PENDING || s == GRP_PROP_PASSED;
}

/* Checks the act against the facts and records it (group lock held). */
static int
grp_act_record(db_conn *c, grp_act_tx *t)
{
	grp_proposal *p = &t->proposal;
	grp_gov_facts f;
	int rc;

	if (t->act == GRP_ACT_CANCEL) {
		if (strcmp(p->proposed_by, t->user) != 0)
			return err_set(ERR_PERMISSION_DENIED, "proposer_only",
				       "only the proposer cancels a proposal");
		return grp_proposal_move(c, t->arena, p, GRP_PROP_CANCELLED, 0, 0, "cancelled",
					 t->user);
	}
	rc = grp_proposal_facts(&f, t->arena, c, p);
	if (rc == 0)
		rc = t->act == GRP_ACT_APPROVE ? grp_gov_may_approve(&f, t->user)
					       : grp_gov_may_object(&f, t->user);
	if (rc == 0)
		rc = grp_store_vote(c, p->id, t->user, t->act == GRP_ACT_OBJECT);
	return rc;
}

static int
grp_act_body(db_conn *c, void *arg)
{
	grp_act_tx *t = arg;
	grp_view v;
	int rc = grp_store_proposal(&t->proposal, t->arena, c, t->id, 0);

	if (rc == 0)
		rc = grp_store_view(&v, t->arena, c, t->proposal.group_id, t->user, 1);
	if (rc == 0 && v.my_role == GRP_ROLE_NONE)
		rc = err_set(ERR_PERMISSION_DENIED, "not_a_member",
			     "only members of the group act on its proposals");
	if (rc == 0)
		rc = grp_store_proposal(&t->proposal, t->arena, c, t->id, 1);
	if (rc == 0 && !grp_act_open(t->act, t->proposal.status))
		rc = err_set(ERR_FAILED_PRECONDITION, "proposal_not_pending", "the proposal is %s",
			     grp_prop_state_text(t->proposal.status));
	if (rc == 0)
		rc = grp_act_record(c, t);
	if (rc == 0)
		rc = grp_proposal_step(&t->proposal, t->arena, c, t->id);
	return rc;
}

static int
grp_act_on(rpc_ctx *ctx, const char *id, const char *pin, grp_act act,
	   Kolo__Groups__V1__Proposal **out)
{
	grp_act_tx t = {
		.arena = rpc_ctx_arena(ctx), .id = id, .user = rpc_ctx_user_id(ctx), .act = act};
	db_conn *c = NULL;
	int rc = grp_check_id(id, "proposal_id");

	if (rc == 0 && act != GRP_ACT_CANCEL)
		rc = svc_verify_pin(ctx, grp_identity, pin);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), grp_act_body, &t);
	if (rc < 0)
		return rc;
	grp_log_change(ctx,
		       act == GRP_ACT_APPROVE  ? "proposal_approved"
		       : act == GRP_ACT_OBJECT ? "proposal_objected"
					       : "proposal_cancelled",
		       t.proposal.group_id, t.proposal.subject);
	*out = grp_proposal_message(ctx, &t.proposal);
	return *out ? 0 : err_oom();
}

int
grp_approve_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__ApproveProposalRequest *in,
		     Kolo__Groups__V1__ApproveProposalResponse *out)
{
	return grp_act_on(ctx, in->proposal_id, in->pin, GRP_ACT_APPROVE, &out->proposal);
}

int
grp_object_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__ObjectProposalRequest *in,
		    Kolo__Groups__V1__ObjectProposalResponse *out)
{
	return grp_act_on(ctx, in->proposal_id, in->pin, GRP_ACT_OBJECT, &out->proposal);
}

int
grp_cancel_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__CancelProposalRequest *in,
		    Kolo__Groups__V1__CancelProposalResponse *out)
{
	return grp_act_on(ctx, in->proposal_id, "", GRP_ACT_CANCEL, &out->proposal);
}
