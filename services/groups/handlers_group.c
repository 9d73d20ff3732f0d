/* Groups: CreateGroup, GetGroup, ListMyGroups, UpdateGroup, GetMembership,
 * and the public read token. */
#include "groups_service.h"
#include "store_dues.h"
#include "handlers.h"

#include <string.h>

#include "auth/auth.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "log/log.h"
#include "svc/call.h"
#include "text/text.h"

/* --- CreateGroup ------------------------------------------------------------ */

#define GRP_CREATE_WINDOW_S 86400

static int grp_create_per_day; /* set once at start-up; 0 = no limit */

void
grp_limits_configure(int create_per_day)
{
	grp_create_per_day = create_per_day;
}

/* Each group opens an account at the provider: a user creates at most
 * grp_create_per_day of them in a day. Takes the user's creation lock. */
static int
grp_check_create_limit(db_conn *c, const char *owner)
{
	int n = 0, retry_s = 0;
	int rc;

	if (grp_create_per_day <= 0)
		return 0;
	rc = grp_store_recent_groups(&n, &retry_s, c, owner, GRP_CREATE_WINDOW_S);
	if (rc < 0 || n < grp_create_per_day)
		return rc;
	err_set(ERR_RESOURCE_EXHAUSTED, "rate_limited",
		"a user may create %d groups a day: try again in %d s", grp_create_per_day,
		retry_s);
	return err_set_retry_after(retry_s);
}

typedef struct grp_create_tx {
	mem_arena *arena;
	const char *name, *description, *owner;
	grp_rule rule;
	grp_view view;
	rpc_ctx *ctx;
	idem_key key;
	Kolo__Groups__V1__CreateGroupResponse *out;
} grp_create_tx;

static int
grp_create_change(db_conn *c, grp_create_tx *t)
{
	int rc = grp_check_create_limit(c, t->owner);

	if (rc == 0)
		rc = grp_store_create(&t->view, t->arena, c, t->name, t->description, &t->rule,
				      t->owner);

	/* A rule one officer meets makes the group constituted at once. */
	if (rc == 0)
		rc = grp_constitute_if_ready(c, t->arena, t->view.id);
	if (rc == 0)
		rc = grp_store_view(&t->view, t->arena, c, t->view.id, t->owner, 0);
	return rc;
}

/* The group and its reply, stored under the call's key (if any) in the
 * same transaction (idem_db_tx: a replay is the same group, no second
 * one, no second account). */
static int
grp_create_body(db_conn *c, void *arg)
{
	grp_create_tx *t = arg;
	int rc = grp_create_change(c, t);

	if (rc == 0) {
		t->out->group = grp_group_message(t->ctx, &t->view);
		rc = t->out->group ? 0 : err_oom();
	}
	return rc;
}

/* Asks payments for the group's virtual account. Best effort: a group
 * whose account could not be asked for shows it `pending`, and payments
 * provisions it on the first GetAccount (DESIGN §5). */
static void
grp_provision_account(rpc_ctx *ctx, const Kolo__Groups__V1__Group *v)
{
	Kolo__Payments__V1__ProvisionAccountRequest req =
		KOLO__PAYMENTS__V1__PROVISION_ACCOUNT_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	req.group_id = v->id;
	req.group_name = v->name;
	/* A live account opens in the name of the creator, the OWNER. */
	req.officer_user_id = (char *)rpc_ctx_user_id(ctx);
	if (!grp_payments || svc_call(ctx, grp_payments, "ProvisionAccount", &req.base, &resp,
				      SVC_CALL_INTERNAL) < 0)
		log_event(LOG_LVL_WARN, "account not provisioned yet", "group_id", v->id, "reason",
			  err_last()->reason, NULL);
	err_clear();
}

/* Proto enums of templates share the domain's numbers; anything else is
 * refused. */
static int
grp_template_of(grp_template *out, int value)
{
	if (value < 0 || value > GRP_RULE_CUSTOM)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_rule",
			       "rule_template is not a known template");
	*out = (grp_template)value;
	return 0;
}

int
grp_create_group(rpc_ctx *ctx, const Kolo__Groups__V1__CreateGroupRequest *in,
		 Kolo__Groups__V1__CreateGroupResponse *out)
{
	grp_create_tx t = {
		.arena = rpc_ctx_arena(ctx), .owner = rpc_ctx_user_id(ctx), .ctx = ctx, .out = out};
	idem_tx it = {.key = &t.key,
		      .arena = t.arena,
		      .resp = &out->base,
		      .body = grp_create_body,
		      .arg = &t};
	grp_template template_ = GRP_RULE_NONE;
	db_conn *c = NULL;
	int rc;

	rc = idem_prepare(&t.key, ctx, IDEM_GROUPS, &in->base, NULL);
	if (rc == 0)
		rc = grp_normalize_name((char **)&t.name, t.arena, in->name);
	if (rc == 0)
		rc = grp_check_description(in->description);
	if (rc == 0)
		rc = grp_template_of(&template_, in->rule_template);
	if (rc == 0)
		rc = grp_rule_build(&t.rule, template_, in->approvals_required, in->approvals_cap);
	if (rc == 0)
		rc = db_thread_conn(&c);
	t.description = in->description;
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc < 0)
		return rc;
	if (!it.replayed)
		grp_log_change(ctx, "group_created", out->group->id, NULL);
	/* A replay asks again: a call cut off between the commit and this
	 * request left the account unasked (ProvisionAccount is idempotent). */
	grp_provision_account(ctx, out->group);
	return 0;
}

/* --- reads ---------------------------------------------------------------------- */

int
grp_get_group(rpc_ctx *ctx, const Kolo__Groups__V1__GetGroupRequest *in,
	      Kolo__Groups__V1__GetGroupResponse *out)
{
	grp_view v;
	db_conn *c = NULL;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_view(&v, rpc_ctx_arena(ctx), c, in->group_id, rpc_ctx_user_id(ctx),
				    0);
	/* kolo-events (for nobody) reads any group's name for its messages. */
	if (rc == 0 && !grp_is_service_call(ctx))
		rc = grp_require_role(&v, 0, 0);
	if (rc < 0)
		return rc;
	out->group = grp_group_message(ctx, &v);
	return out->group ? 0 : err_oom();
}

int
grp_list_my_groups(rpc_ctx *ctx, const Kolo__Groups__V1__ListMyGroupsRequest *in,
		   Kolo__Groups__V1__ListMyGroupsResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	page_request page;
	grp_view *rows = NULL;
	db_conn *c = NULL;
	int n = 0, rc;

	rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_my_groups(&rows, &n, a, c, rpc_ctx_user_id(ctx), &page);
	if (rc < 0)
		return rc;
	out->groups = page_items(&out->n_groups, a, &page, n, sizeof(*out->groups));
	if (!out->groups)
		return err_oom();
	for (size_t i = 0; i < out->n_groups; i++) {
		out->groups[i] = grp_group_message(ctx, &rows[i]);
		if (!out->groups[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(grp_view, page_key, membership_id));
}

int
grp_get_membership(rpc_ctx *ctx, const Kolo__Groups__V1__GetMembershipRequest *in,
		   Kolo__Groups__V1__GetMembershipResponse *out)
{
	grp_view v;
	db_conn *c = NULL;
	int rc = grp_check_id(in->group_id, "group_id");

	/* No user_id: the group alone (payments' worker asks for its holder). */
	if (rc == 0 && in->user_id[0])
		rc = grp_check_id(in->user_id, "user_id");
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_view(&v, rpc_ctx_arena(ctx), c, in->group_id,
				    in->user_id[0] ? in->user_id : NULL, 0);
	if (rc < 0)
		return rc;
	out->is_member = v.my_role != GRP_ROLE_NONE;
	out->role = (Kolo__Common__V1__Role)v.my_role;
	out->is_officer = grp_is_officer(v.my_role);
	out->officer_count = v.officers;
	out->approvals_required = grp_rule_effective(&v.rule, v.officers);
	out->approvals_cap = v.rule.approvals_cap;
	out->rule_template = (Kolo__Common__V1__RuleTemplate)v.rule.template_;
	out->joined_at = v.my_role != GRP_ROLE_NONE ? v.page_key : "";
	out->account_holder_user_id = v.account_holder;
	out->n_approval_tiers = (size_t)v.n_tiers;
	out->approval_tiers = grp_tier_messages(rpc_ctx_arena(ctx), v.tiers, v.n_tiers);
	if (!out->approval_tiers)
		return err_oom();
	return grp_officer_ids(ctx, c, in->group_id, &out->officer_user_ids,
			       &out->n_officer_user_ids);
}

/* --- UpdateGroup ------------------------------------------------------------------ */

typedef struct grp_update_tx {
	mem_arena *arena;
	const Kolo__Groups__V1__UpdateGroupRequest *in;
	const char *user;
	grp_view view;
	int proposed; /* a proposal answers (the group was constituted) */
	grp_proposal proposal;
	rpc_ctx *ctx;
	idem_key key;
	Kolo__Groups__V1__UpdateGroupResponse *out;
} grp_update_tx;

/* The requested rule on top of the current one. A new template starts
 * from that template's defaults unless approvals are given too. */
static int
grp_updated_rule(grp_rule *out, const grp_view *v, const Kolo__Groups__V1__UpdateGroupRequest *in)
{
	grp_template template_ = v->rule.template_;
	int required = 0, cap = v->rule.approvals_cap;
	int rc;

	if (in->optional_rule_template_case ==
	    KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE) {
		rc = grp_template_of(&template_, in->rule_template);
		if (rc < 0)
			return rc;
	}
	if (template_ == GRP_RULE_CUSTOM)
		required = v->rule.approvals_required;
	if (in->optional_approvals_required_case ==
	    KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_REQUIRED_APPROVALS_REQUIRED)
		required = in->approvals_required;
	if (in->optional_approvals_cap_case ==
	    KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_CAP_APPROVALS_CAP)
		cap = in->approvals_cap;
	if (template_ == GRP_RULE_NONE)
		template_ = GRP_RULE_TWO_OFFICER;
	return grp_rule_build(out, template_, required, cap);
}

/* The sensitive change an update asks for, if any: a new rule (one the
 * officers can meet) or new tiers (within the cap), not both at once. */
static int
grp_update_change(grp_change *out, const grp_view *v, const grp_rule *rule,
		  const Kolo__Groups__V1__UpdateGroupRequest *in)
{
	int new_rule = !grp_rule_same(rule, &v->rule);
	int new_tiers = in->n_approval_tiers > 0 || in->clear_approval_tiers;
	int new_holder = in->account_holder_user_id[0] != '\0';

	memset(out, 0, sizeof(*out));
	if (new_rule + new_tiers + new_holder > 1)
		return err_set(ERR_INVALID_ARGUMENT, "one_change_at_a_time",
			       "change the rule, the approval tiers and the "
			       "account holder in separate requests");
	if (new_holder) {
		out->kind = GRP_KIND_ACCOUNT_HOLDER;
		return 0;
	}
	if (new_rule) {
		out->kind = GRP_KIND_RULE;
		out->rule = *rule;
		return grp_rule_check_officers(rule, v->officers);
	}
	if (!new_tiers)
		return 0;
	if (in->n_approval_tiers > GRP_TIERS_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_tiers", "at most %d approval tiers",
			       GRP_TIERS_MAX);
	out->kind = GRP_KIND_TIERS;
	out->n_tiers = (int)in->n_approval_tiers;
	for (int i = 0; i < out->n_tiers; i++)
		out->tiers[i] = (grp_tier){in->approval_tiers[i]->above_kobo,
					   in->approval_tiers[i]->approvals_required};
	return grp_tiers_check(out->tiers, out->n_tiers, v->rule.approvals_cap);
}

/* The officer an update names as the account holder (DESIGN §14): a
 * member who is an officer now ("holder_not_officer"), so *subject is
 * their id; naming the holder there is already leaves no change. */
static int
grp_update_holder(db_conn *c, grp_update_tx *t, grp_change *change, const char **subject)
{
	const char *id = t->in->account_holder_user_id;
	grp_member m;
	int rc = grp_check_id(id, "account_holder_user_id");

	if (rc == 0)
		rc = grp_store_member(&m, t->arena, c, t->view.id, id);
	if (rc == ERR_NOT_FOUND) {
		err_clear();
		m.role = GRP_ROLE_NONE;
		rc = 0;
	}
	if (rc == 0)
		rc = grp_gov_still_valid(
			change, m.role,
			&(grp_gov_group){.rule = t->view.rule, .officers = t->view.officers});
	if (rc < 0)
		return rc;
	if (strcmp(m.user_id, t->view.account_holder) == 0)
		change->kind = GRP_KIND_NONE;
	*subject = m.user_id;
	return 0;
}

/* The name and description an update leaves (they change at once). */
static int
grp_update_text(const char **name, const char **description, grp_update_tx *t)
{
	const Kolo__Groups__V1__UpdateGroupRequest *in = t->in;
	int rc = 0;

	*name = t->view.name;
	*description = t->view.description;
	if (in->optional_name_case == KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_NAME_NAME)
		rc = grp_normalize_name((char **)name, t->arena, in->name);
	if (rc == 0 &&
	    in->optional_description_case ==
		    KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_DESCRIPTION_DESCRIPTION) {
		rc = grp_check_description(in->description);
		*description = in->description;
	}
	return rc;
}

static int
grp_update_apply(db_conn *c, grp_update_tx *t)
{
	const Kolo__Groups__V1__UpdateGroupRequest *in = t->in;
	const char *name = NULL, *description = NULL, *subject = NULL;
	grp_change change;
	grp_rule rule;
	int rc = grp_store_view(&t->view, t->arena, c, in->group_id, t->user, 1);

	if (rc == 0)
		rc = grp_require_role(&t->view, 1, 1);
	if (rc == 0)
		rc = grp_updated_rule(&rule, &t->view, in);
	if (rc == 0)
		rc = grp_update_change(&change, &t->view, &rule, in);
	if (rc == 0 && change.kind == GRP_KIND_ACCOUNT_HOLDER)
		rc = grp_update_holder(c, t, &change, &subject);
	if (rc == 0)
		rc = grp_update_text(&name, &description, t);
	if (rc == 0)
		rc = grp_store_update(c, in->group_id, name, description, &t->view.rule);
	/* OWNER, applied at once (not a proposal: it shows names, not
	 * money; docs/decisions.md). */
	if (rc == 0 &&
	    in->optional_public_dues_case ==
		    KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_PUBLIC_DUES_PUBLIC_DUES)
		rc = grp_store_set_public_dues(c, in->group_id, in->public_dues);
	if (rc == 0 && change.kind != GRP_KIND_NONE) {
		t->proposed = t->view.constituted;
		rc = grp_propose(&t->proposal, t->arena, c, &t->view, &change, subject, t->user);
	}
	if (rc < 0)
		return rc;
	return grp_store_view(&t->view, t->arena, c, in->group_id, t->user, 0);
}

/* The change and its reply, stored under the call's key (if any) in the
 * same transaction (idem_db_tx: a retried rule change proposes once). */
static int
grp_update_body(db_conn *c, void *arg)
{
	grp_update_tx *t = arg;
	int rc = grp_update_apply(c, t);

	if (rc < 0)
		return rc;
	t->out->group = grp_group_message(t->ctx, &t->view);
	t->out->proposal = t->proposed ? grp_proposal_message(t->ctx, &t->proposal) : NULL;
	if (!t->out->group || (t->proposed && !t->out->proposal))
		return err_oom();
	return 0;
}

int
grp_update_group(rpc_ctx *ctx, const Kolo__Groups__V1__UpdateGroupRequest *in,
		 Kolo__Groups__V1__UpdateGroupResponse *out)
{
	grp_update_tx t = {.arena = rpc_ctx_arena(ctx),
			   .in = in,
			   .user = rpc_ctx_user_id(ctx),
			   .ctx = ctx,
			   .out = out};
	idem_tx it = {.key = &t.key,
		      .arena = t.arena,
		      .resp = &out->base,
		      .body = grp_update_body,
		      .arg = &t};
	db_conn *c = NULL;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = idem_prepare(&t.key, ctx, IDEM_GROUPS, &in->base, NULL);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc < 0 || it.replayed)
		return rc;
	grp_log_change(ctx, t.proposed ? "group_change_proposed" : "group_updated", in->group_id,
		       NULL);
	return 0;
}

/* --- public read token ------------------------------------------------------------- */

typedef struct grp_token_tx {
	mem_arena *arena;
	const char *group_id, *user;
	const char *token; /* NULL: revoke, a sensitive change */
	int proposed;
	grp_proposal proposal;
} grp_token_tx;

static int
grp_token_body(db_conn *c, void *arg)
{
	grp_token_tx *t = arg;
	grp_change revoke = {.kind = GRP_KIND_REVOKE_PUBLIC_TOKEN};
	grp_view v;
	int rc = grp_store_view(&v, t->arena, c, t->group_id, t->user, 1);

	if (rc == 0)
		rc = grp_require_role(&v, 1, 1);
	if (rc < 0)
		return rc;
	if (t->token)
		return grp_store_set_token(c, t->group_id, t->token);
	t->proposed = v.constituted;
	return grp_propose(&t->proposal, t->arena, c, &v, &revoke, NULL, t->user);
}

static int
grp_set_token(rpc_ctx *ctx, grp_token_tx *t)
{
	db_conn *c = NULL;
	int rc = grp_check_id(t->group_id, "group_id");

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), grp_token_body, t);
	if (rc == 0)
		grp_log_change(ctx,
			       t->token	     ? "public_token_rotated"
			       : t->proposed ? "public_token_revoke_proposed"
					     : "public_token_revoked",
			       t->group_id, NULL);
	return rc;
}

int
grp_rotate_public_token(rpc_ctx *ctx, const Kolo__Groups__V1__RotatePublicTokenRequest *in,
			Kolo__Groups__V1__RotatePublicTokenResponse *out)
{
	char token[AUTH_TOKEN_TEXT];
	grp_token_tx t = {.arena = rpc_ctx_arena(ctx),
			  .group_id = in->group_id,
			  .user = rpc_ctx_user_id(ctx),
			  .token = token};
	int rc;

	auth_random_token(token);
	rc = grp_set_token(ctx, &t);
	if (rc < 0)
		return rc;
	out->public_read_token = mem_arena_strdup(rpc_ctx_arena(ctx), token);
	return out->public_read_token ? 0 : err_oom();
}

int
grp_revoke_public_token(rpc_ctx *ctx, const Kolo__Groups__V1__RevokePublicTokenRequest *in,
			Kolo__Groups__V1__RevokePublicTokenResponse *out)
{
	grp_token_tx t = {.arena = rpc_ctx_arena(ctx),
			  .group_id = in->group_id,
			  .user = rpc_ctx_user_id(ctx)};
	int rc = grp_set_token(ctx, &t);

	if (rc < 0 || !t.proposed)
		return rc;
	out->proposal = grp_proposal_message(ctx, &t.proposal);
	return out->proposal ? 0 : err_oom();
}

int
grp_resolve_public_token(rpc_ctx *ctx, const Kolo__Groups__V1__ResolvePublicTokenRequest *in,
			 Kolo__Groups__V1__ResolvePublicTokenResponse *out)
{
	size_t n = strlen(in->token);
	grp_view v;
	db_conn *c = NULL;
	int rc = 0;

	/* Anything that is not a token we could have made is simply unknown. */
	if (n == 0 || n >= AUTH_TOKEN_TEXT ||
	    strspn(in->token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    n)
		rc = ERR_NOT_FOUND;
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_resolve_token(&v, rpc_ctx_arena(ctx), c, in->token);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "not_found", "no such public page");
	if (rc < 0)
		return rc;
	out->group_id = v.id;
	out->name = v.name;
	out->description = v.description;
	out->public_dues = v.public_dues;
	return 0;
}
