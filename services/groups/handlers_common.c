#include "groups_service.h"
#include "handlers.h"

#include <string.h>

#include "log/log.h"
#include "svc/call.h"
#include "text/text.h"

rpc_channel *grp_identity;
rpc_channel *grp_payments;

void grp_use_channels(rpc_channel *identity, rpc_channel *payments)
{
	grp_identity = identity;
	grp_payments = payments;
}

int grp_check_id(const char *id, const char *field)
{
	if (!text_is_uuid(id))
		return err_invalid_id(field);
	return 0;
}

int grp_is_service_call(const rpc_ctx *ctx)
{
	return rpc_ctx_is_internal(ctx) && !rpc_ctx_user_id(ctx);
}

int grp_require_role(const grp_view *v, int need_officer, int need_owner)
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

Kolo__Groups__V1__ApprovalTier **grp_tier_messages(mem_arena *a,
						   const grp_tier *tiers, int n)
{
	Kolo__Groups__V1__ApprovalTier **out =
		mem_arena_alloc(a, sizeof(*out) * (size_t)(n + 1));

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

int grp_officer_ids(rpc_ctx *ctx, db_conn *c, const char *group_id, char ***out,
		    size_t *n)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	grp_voter *members = NULL;
	int count = 0;
	int rc = grp_store_voters(c, a, group_id, &members, &count);

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

Kolo__Groups__V1__Group *grp_group_message(rpc_ctx *ctx, const grp_view *v)
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
	g->approval_tiers =
		grp_tier_messages(rpc_ctx_arena(ctx), v->tiers, v->n_tiers);
	return g->approval_tiers ? g : NULL;
}

Kolo__Groups__V1__Member *grp_member_message(rpc_ctx *ctx, const grp_member *m,
					     const Kolo__Identity__V1__User *user)
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

int grp_lookup_user(rpc_ctx *ctx, const char *user_id,
		    Kolo__Identity__V1__User **out)
{
	Kolo__Identity__V1__GetUserRequest req =
		KOLO__IDENTITY__V1__GET_USER_REQUEST__INIT;
	Kolo__Identity__V1__GetUserResponse *resp = NULL;
	int rc;

	req.user_id = (char *)user_id;
	rc = svc_call(ctx, grp_identity, "GetUser", &req.base,
		      (ProtobufCMessage **)&resp, SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	*out = resp->user;
	return 0;
}

void grp_log_change(rpc_ctx *ctx, const char *event, const char *group_id,
		    const char *subject)
{
	log_event(LOG_LVL_INFO, event, "group_id", group_id, "actor",
		  rpc_ctx_user_id(ctx), "subject", subject, NULL);
}

