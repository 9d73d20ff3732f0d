#include "groups_service.h"
#include "handlers.h"

#include <string.h>

#include "log/log.h"
#include "svc/call.h"
#include "text/text.h"
#include "svc/sessions.h"
#include "kolo/groups/v1/groups.pb-c.h"

rpc_channel *grp_identity;
rpc_channel *grp_payments;

void
grp_use_channels(rpc_channel *identity, rpc_channel *payments)
{
	grp_identity = identity;
	grp_payments = payments;
}

int
grp_check_id(const char *id, const char *field)
{
	if (!text_is_uuid(id))
		return err_invalid_id(field);
	return 0;
}

int
grp_is_service_call(const rpc_ctx *ctx)
{
	return rpc_ctx_is_internal(ctx) && !rpc_ctx_user_id(ctx);
}

int
grp_require_role(const grp_view *v, int need_officer, int need_owner)
{
	if (v->my_role == GRP_ROLE_NONE)
		return err_set(ERR_NOT_FOUND, "group_not_found", "no such group");
	if (need_owner && v->my_role != GRP_ROLE_OWNER)
		return err_set(ERR_PERMISSION_DENIED, "owner_only",
			       "only an OWNER of the group may do this");
	if (need_officer && !grp_is_officer(v->my_role))
		return err_set(ERR_PERMISSION_DENIED, "officer_only",
			       "only an officer (OWNER or TREASURER) may do this");
	return 0;
}

Kolo__Groups__V1__ApprovalTier **
grp_tier_messages(mem_arena *a, const grp_tier *tiers, int n)
{
	Kolo__Groups__V1__ApprovalTier **out = mem_arena_alloc(a, sizeof(*out) * (size_t)(n + 1));

	for (int i = 0; out && i < n; i++) {
		out[i] = mem_arena_alloc(a, sizeof(**out));
		if (!out[i])
			return NULL;
		kolo__groups__v1__approval_tier__init(out[i]);
		out[i]->above_kobo = tiers[i].above_kobo;
		out[i]->approvals_required = tiers[i].approvals_required;
	}
	return out;
}

int
grp_officer_ids(rpc_ctx *ctx, db_conn *c, const char *group_id, char ***out, size_t *n)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	grp_voter *members = NULL;
	int count = 0;
	int rc = grp_store_voters(&members, &count, a, c, group_id);

	*n = 0;
	if (rc < 0)
		return rc;
	*out = mem_arena_alloc(a, sizeof(**out) * (size_t)(count + 1));
	if (!*out)
		return err_oom();
	for (int i = 0; i < count; i++) {
		if (grp_is_officer(members[i].role))
			(*out)[(*n)++] = (char *)members[i].user_id;
	}
	return 0;
}

Kolo__Groups__V1__Group *
grp_group_message(rpc_ctx *ctx, const grp_view *v)
{
	Kolo__Groups__V1__Group *g = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*g));

	if (!g)
		return NULL;
	kolo__groups__v1__group__init(g);
	g->id = v->id;
	g->name = v->name;
	g->description = v->description;
	g->rule_template = (Kolo__Common__V1__RuleTemplate)v->rule.template_;
	g->approvals_required = grp_rule_effective(&v->rule, v->officers);
	g->approvals_cap = v->rule.approvals_cap;
	g->created_by = v->created_by;
	g->created_at = v->created_at;
	g->my_role = (Kolo__Common__V1__Role)v->my_role;
	g->has_public_token = v->public_token[0] != '\0';
	g->public_read_token = v->my_role == GRP_ROLE_OWNER ? v->public_token : "";
	g->officer_count = v->officers;
	g->member_count = v->members;
	g->constituted = v->constituted;
	g->account_holder_user_id = v->account_holder;
	g->public_dues = v->public_dues;
	g->n_approval_tiers = (size_t)v->n_tiers;
	g->approval_tiers = grp_tier_messages(rpc_ctx_arena(ctx), v->tiers, v->n_tiers);
	return g->approval_tiers ? g : NULL;
}

Kolo__Groups__V1__Member *
grp_member_message(rpc_ctx *ctx, const grp_member *m, const Kolo__Identity__V1__User *user)
{
	Kolo__Groups__V1__Member *out = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*out));

	if (!out)
		return NULL;
	kolo__groups__v1__member__init(out);
	out->user_id = m->user_id;
	out->role = (Kolo__Common__V1__Role)m->role;
	out->joined_at = m->joined_at;
	if (user) {
		out->name = user->name;
		out->email = user->email;
	}
	return out;
}

int
grp_lookup_user(rpc_ctx *ctx, const char *user_id, Kolo__Identity__V1__User **out)
{
	Kolo__Identity__V1__GetUserRequest req = KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *resp = NULL;
	int rc;

	req.user_id = (char *)user_id;
	rc = svc_call(ctx, grp_identity, "GetUser", &req.base, (ProtobufCMessage **)&resp,
		      SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	*out = resp->user;
	return 0;
}

void
grp_log_change(rpc_ctx *ctx, const char *event, const char *group_id, const char *subject)
{
	log_event(LOG_LVL_INFO, event, "group_id", group_id, "actor", rpc_ctx_user_id(ctx),
		  "subject", subject, NULL);
}

/* --- the method table: every GroupsService RPC with its handler and who may call it.
 * RPC_AUTH_LIVE: money and membership acts, refused to a token whose
 * session ended (the process's follower of identity, svc/sessions.h). */
static const rpc_method grp_methods[] = {
	RPC_METHOD(Kolo__Groups__V1__, CreateGroup, grp_create_group,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, GetGroup, grp_get_group, RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, ListMyGroups, grp_list_my_groups, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Groups__V1__, UpdateGroup, grp_update_group,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, AddMember, grp_add_member, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, UpdateMemberRole, grp_update_member_role,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, RemoveMember, grp_remove_member,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, ListMembers, grp_list_members,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, GetMembership, grp_get_membership, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, RotatePublicToken, grp_rotate_public_token,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, RevokePublicToken, grp_revoke_public_token,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, ResolvePublicToken, grp_resolve_public_token,
		   RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, ListProposals, grp_list_proposals,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, GetProposal, grp_get_proposal, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Groups__V1__, ApproveProposal, grp_approve_proposal,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, ObjectProposal, grp_object_proposal,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, CancelProposal, grp_cancel_proposal,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, ReadOutbox, grp_read_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, AckOutbox, grp_ack_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, AddPayerAccount, grp_add_payer_account,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, ListPayerAccounts, grp_list_payer_accounts, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Groups__V1__, RemovePayerAccount, grp_remove_payer_account,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, MatchPayer, grp_match_payer, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, ListUnallocated, grp_list_unallocated, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Groups__V1__, AllocateDeposit, grp_allocate_deposit,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, ListAllocations, grp_list_allocations, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Groups__V1__, CreateDues, grp_create_dues, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, ListDues, grp_list_dues, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Groups__V1__, WaiveDues, grp_waive_dues, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Groups__V1__, GetDuesStatus, grp_get_dues_status,
		   RPC_AUTH_USER | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Groups__V1__, GetMemberStatement, grp_get_member_statement, RPC_AUTH_USER),
};

const rpc_service grp_rpc_service = {
	.descriptor = &kolo__groups__v1__groups_service__descriptor,
	.methods = grp_methods,
	.n_methods = sizeof(grp_methods) / sizeof(grp_methods[0]),
	.session_check = svc_sessions_check,
};
