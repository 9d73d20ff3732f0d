/* Memberships: AddMember, UpdateMemberRole, RemoveMember, ListMembers. */
#include "handlers.h"

#include <string.h>

#include "events/events.h"
#include "notify.h"
#include "svc/call.h"

/* A role from the wire; UNSPECIFIED only where a default applies. */
static int
grp_role_of(grp_role *out, int value, grp_role fallback)
{
	if (value == 0 && fallback != GRP_ROLE_NONE) {
		*out = fallback;
		return 0;
	}
	if (value < GRP_ROLE_OWNER || value > GRP_ROLE_MEMBER)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_role",
			       "role must be OWNER, TREASURER or MEMBER");
	*out = (grp_role)value;
	return 0;
}

/* The officer count after subject's role goes from `from` to `to`
 * (GRP_ROLE_NONE: removed). */
static int
grp_officers_after(const grp_view *v, grp_role from, grp_role to)
{
	return v->officers - grp_is_officer(from) + grp_is_officer(to);
}

/* Checks that the group keeps an OWNER when subject goes from `from` to
 * `to`. Lock held. */
static int
grp_check_owner_left(db_conn *c, const char *group_id, grp_role from, grp_role to)
{
	int owners = 0, rc;

	if (from != GRP_ROLE_OWNER || to == GRP_ROLE_OWNER)
		return 0;
	rc = grp_store_count_owners(&owners, c, group_id);
	if (rc < 0)
		return rc;
	if (owners <= 1)
		return err_set(ERR_FAILED_PRECONDITION, "last_owner",
			       "the group's last OWNER cannot leave or be demoted");
	return 0;
}

/* Checks that the group keeps an OWNER, and, until it is constituted, a
 * rule its officers can meet when a change takes an officer away (a group
 * may start with fewer officers than its rule needs; changes that keep
 * the officers, like a plain member leaving, stay allowed). A constituted
 * group may lose officers through a proposal: its members' majority
 * recovers a deadlock. Lock held. */
static int
grp_check_change(db_conn *c, const grp_view *v, const char *group_id, grp_role from, grp_role to)
{
	int officers = grp_officers_after(v, from, to);
	int rc = grp_check_owner_left(c, group_id, from, to);

	if (rc < 0 || officers >= v->officers || v->constituted)
		return rc;
	return grp_rule_check_officers(&v->rule, officers);
}

/* --- AddMember -------------------------------------------------------------- */

typedef struct grp_add_tx {
	mem_arena *arena;
	const char *group_id, *actor, *user_id;
	const char *name; /* the user's display name, for the event */
	grp_role role;
	grp_member member;
	int proposed; /* adding an officer was proposed (constituted group) */
	grp_proposal proposal;
	rpc_ctx *ctx;
	const Kolo__Identity__V1__User *user;
	idem_key key;
	Kolo__Groups__V1__AddMemberResponse *out;
} grp_add_tx;

/* Adding an officer is a sensitive change: a proposal, applied at once
 * before the group is constituted. */
static int
grp_add_officer(db_conn *c, grp_add_tx *t, const grp_view *v)
{
	grp_change add = {.kind = GRP_KIND_ADD_OFFICER, .role = t->role};
	int rc = grp_store_member(&t->member, t->arena, c, t->group_id, t->user_id);

	if (rc == 0)
		return err_set(ERR_ALREADY_EXISTS, "already_member",
			       "the user is already a member of the group");
	if (rc != ERR_NOT_FOUND)
		return rc;
	err_clear();
	t->proposed = v->constituted;
	rc = grp_propose(&t->proposal, t->arena, c, v, &add, t->user_id, t->actor);
	if (rc == 0 && !t->proposed)
		rc = grp_store_member(&t->member, t->arena, c, t->group_id, t->user_id);
	return rc;
}

static int
grp_add_change(db_conn *c, grp_add_tx *t)
{
	grp_view v;
	int rc = grp_store_view(&v, t->arena, c, t->group_id, t->actor, 1);

	if (rc == 0)
		rc = grp_require_role(&v, 1, grp_is_officer(t->role));
	if (rc == 0 && grp_is_officer(t->role))
		return grp_add_officer(c, t, &v);
	if (rc == 0)
		rc = grp_store_add_member(&t->member, t->arena, c, t->group_id, t->user_id,
					  t->role);
	if (rc == 0)
		rc = grp_notify_member(c, EVT_MEMBER_ADDED, t->group_id, t->user_id, t->actor,
				       t->role, t->name);
	return rc;
}

/* The reply: the proposal, or the new membership. */
static int
grp_add_reply(grp_add_tx *t)
{
	if (t->proposed) {
		t->out->proposal = grp_proposal_message(t->ctx, &t->proposal);
		return t->out->proposal ? 0 : err_oom();
	}
	t->out->member = grp_member_message(t->ctx, &t->member, t->user);
	return t->out->member ? 0 : err_oom();
}

/* The change and its reply, stored under the call's key (if any) in the
 * same transaction (idem_db_tx). */
static int
grp_add_body(db_conn *c, void *arg)
{
	grp_add_tx *t = arg;
	int rc;

	t->out->member = NULL;
	t->out->proposal = NULL;
	rc = grp_add_change(c, t);
	if (rc == 0)
		rc = grp_add_reply(t);
	return rc;
}

/* The caller may add a member of role to the group (an officer, and an
 * OWNER for an officer role), checked before the email is looked up so the
 * answer never says whether an email is registered. The transaction checks
 * again under the group's lock. */
static int
grp_check_adder(rpc_ctx *ctx, const char *group_id, grp_role role)
{
	grp_view v;
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = grp_store_view(&v, rpc_ctx_arena(ctx), c, group_id, rpc_ctx_user_id(ctx), 0);
	if (rc == 0)
		rc = grp_require_role(&v, 1, grp_is_officer(role));
	return rc;
}

/* identity.FindUserByEmail (internal): a user whose email is verified. */
static int
grp_find_user(rpc_ctx *ctx, const char *email, Kolo__Identity__V1__User **out)
{
	Kolo__Identity__V1__FindUserByEmailRequest req =
		KOLO__IDENTITY__V1__FIND_USER_BY_EMAIL_REQUEST__INIT;
	Kolo__Identity__V1__FindUserByEmailResponse *resp = NULL;
	int rc;

	req.email = (char *)email;
	rc = svc_call(ctx, grp_identity, "FindUserByEmail", &req.base, (ProtobufCMessage **)&resp,
		      SVC_CALL_INTERNAL);
	if (rc == ERR_NOT_FOUND)
		return err_set(ERR_NOT_FOUND, "user_not_found",
			       "no registered user has that email");
	if (rc < 0)
		return rc;
	/* Whoever registered an address first must not get a role meant for
	 * its owner (DESIGN §16). Verification is never undone, so the answer
	 * holds for the transaction that follows. */
	if (!resp->user->email_verified)
		return err_set(ERR_FAILED_PRECONDITION, "email_not_verified",
			       "that user has not verified their email address yet");
	*out = resp->user;
	return 0;
}

int
grp_add_member(rpc_ctx *ctx, const Kolo__Groups__V1__AddMemberRequest *in,
	       Kolo__Groups__V1__AddMemberResponse *out)
{
	grp_add_tx t = {.arena = rpc_ctx_arena(ctx),
			.group_id = in->group_id,
			.actor = rpc_ctx_user_id(ctx),
			.ctx = ctx,
			.out = out};
	idem_tx it = {.key = &t.key,
		      .arena = t.arena,
		      .resp = &out->base,
		      .body = grp_add_body,
		      .arg = &t};
	Kolo__Identity__V1__User *user = NULL;
	db_conn *c = NULL;
	int rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = idem_prepare(&t.key, ctx, IDEM_GROUPS, &in->base, NULL);
	if (rc == 0)
		rc = grp_role_of(&t.role, in->role, GRP_ROLE_MEMBER);
	if (rc == 0)
		rc = grp_check_adder(ctx, in->group_id, t.role);
	if (rc == 0)
		rc = grp_find_user(ctx, in->email, &user);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc < 0)
		return rc;
	t.user_id = user->id;
	t.name = user->name;
	t.user = user;
	rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	if (rc < 0 || it.replayed)
		return rc;
	grp_log_change(ctx, t.proposed ? "officer_proposed" : "member_added", in->group_id,
		       user->id);
	return 0;
}

/* --- UpdateMemberRole and RemoveMember ----------------------------------------- */

typedef struct grp_change_tx {
	mem_arena *arena;
	const char *group_id, *actor, *subject;
	grp_role to; /* GRP_ROLE_NONE: remove */
	grp_member member;
	int proposed; /* the change was proposed (constituted group) */
	grp_proposal proposal;
	rpc_ctx *ctx;
	idem_key key;
	db_tx_fn change;		       /* grp_role_body, grp_remove_body */
	int (*reply)(struct grp_change_tx *t); /* fills out */
	ProtobufCMessage *out;
	int replayed; /* the key's stored reply is in out */
} grp_change_tx;

/* Subject goes to t->to: at once for a plain member, else a proposal
 * (applied at once before the group is constituted). Lock held. */
static int
grp_change_role(db_conn *c, grp_change_tx *t, const grp_view *v)
{
	grp_change change = {.kind = grp_role_change_kind(t->member.role, t->to), .role = t->to};
	int rc = grp_check_change(c, v, t->group_id, t->member.role, t->to);

	if (rc < 0)
		return rc;
	if (change.kind == GRP_KIND_NONE)
		return t->to == GRP_ROLE_NONE
			       ? grp_remove_told(c, t->arena, t->group_id, t->subject, t->actor)
			       : grp_store_set_role(c, t->group_id, t->subject, t->to);
	t->proposed = v->constituted;
	return grp_propose(&t->proposal, t->arena, c, v, &change, t->subject, t->actor);
}

static int
grp_role_body(db_conn *c, void *arg)
{
	grp_change_tx *t = arg;
	grp_view v;
	int rc = grp_store_view(&v, t->arena, c, t->group_id, t->actor, 1);

	if (rc == 0)
		rc = grp_require_role(&v, 1, 1);
	if (rc == 0)
		rc = grp_store_member(&t->member, t->arena, c, t->group_id, t->subject);
	if (rc == 0)
		rc = grp_change_role(c, t, &v);
	if (rc == 0 && !t->proposed)
		t->member.role = t->to;
	return rc;
}

static int
grp_remove_body(db_conn *c, void *arg)
{
	grp_change_tx *t = arg;
	grp_view v;
	int self = strcmp(t->actor, t->subject) == 0;
	int rc = grp_store_view(&v, t->arena, c, t->group_id, t->actor, 1);

	/* An OWNER removes anyone; a member may leave. */
	if (rc == 0)
		rc = grp_require_role(&v, !self, !self);
	if (rc == 0)
		rc = grp_store_member(&t->member, t->arena, c, t->group_id, t->subject);
	if (rc == 0)
		rc = grp_change_role(c, t, &v);
	return rc;
}

/* The change and its reply, stored under the call's key (if any) in the
 * same transaction (idem_db_tx: a retried change proposes once). */
static int
grp_change_body(db_conn *c, void *arg)
{
	grp_change_tx *t = arg;
	int rc = t->change(c, t);

	if (rc == 0)
		rc = t->reply(t);
	return rc;
}

static int
grp_member_change(rpc_ctx *ctx, const ProtobufCMessage *req, grp_change_tx *t)
{
	idem_tx it = {.key = &t->key,
		      .arena = t->arena,
		      .resp = t->out,
		      .body = grp_change_body,
		      .arg = t};
	db_conn *c = NULL;
	int rc = grp_check_id(t->group_id, "group_id");

	if (rc == 0)
		rc = grp_check_id(t->subject, "user_id");
	if (rc == 0)
		rc = idem_prepare(&t->key, ctx, IDEM_GROUPS, req, NULL);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	t->replayed = it.replayed;
	return rc;
}

/* UpdateMemberRole's reply: the proposal, or the member with its name (a
 * name that cannot be read is not worth failing the change for). */
static int
grp_role_reply(grp_change_tx *t)
{
	Kolo__Groups__V1__UpdateMemberRoleResponse *out =
		(Kolo__Groups__V1__UpdateMemberRoleResponse *)t->out;
	Kolo__Identity__V1__User *user = NULL;

	out->member = NULL;
	out->proposal = NULL;
	if (t->proposed) {
		out->proposal = grp_proposal_message(t->ctx, &t->proposal);
		return out->proposal ? 0 : err_oom();
	}
	if (grp_lookup_user(t->ctx, t->subject, &user) < 0) {
		user = NULL;
		err_clear();
	}
	out->member = grp_member_message(t->ctx, &t->member, user);
	return out->member ? 0 : err_oom();
}

/* RemoveMember's reply: the proposal, or nothing. */
static int
grp_remove_reply(grp_change_tx *t)
{
	Kolo__Groups__V1__RemoveMemberResponse *out =
		(Kolo__Groups__V1__RemoveMemberResponse *)t->out;

	out->proposal = NULL;
	if (!t->proposed)
		return 0;
	out->proposal = grp_proposal_message(t->ctx, &t->proposal);
	return out->proposal ? 0 : err_oom();
}

int
grp_update_member_role(rpc_ctx *ctx, const Kolo__Groups__V1__UpdateMemberRoleRequest *in,
		       Kolo__Groups__V1__UpdateMemberRoleResponse *out)
{
	grp_change_tx t = {.arena = rpc_ctx_arena(ctx),
			   .group_id = in->group_id,
			   .actor = rpc_ctx_user_id(ctx),
			   .subject = in->user_id,
			   .ctx = ctx,
			   .change = grp_role_body,
			   .reply = grp_role_reply,
			   .out = &out->base};
	int rc = grp_role_of(&t.to, in->role, GRP_ROLE_NONE);

	if (rc == 0)
		rc = grp_member_change(ctx, &in->base, &t);
	if (rc < 0 || t.replayed)
		return rc;
	grp_log_change(ctx, t.proposed ? "member_role_proposed" : "member_role_changed",
		       in->group_id, in->user_id);
	return 0;
}

int
grp_remove_member(rpc_ctx *ctx, const Kolo__Groups__V1__RemoveMemberRequest *in,
		  Kolo__Groups__V1__RemoveMemberResponse *out)
{
	grp_change_tx t = {.arena = rpc_ctx_arena(ctx),
			   .group_id = in->group_id,
			   .actor = rpc_ctx_user_id(ctx),
			   .subject = in->user_id,
			   .ctx = ctx,
			   .change = grp_remove_body,
			   .reply = grp_remove_reply,
			   .out = &out->base};
	int rc = grp_member_change(ctx, &in->base, &t);

	if (rc < 0 || t.replayed)
		return rc;
	grp_log_change(ctx, t.proposed ? "officer_removal_proposed" : "member_removed",
		       in->group_id, in->user_id);
	return 0;
}

/* --- ListMembers ------------------------------------------------------------------- */

int
grp_list_members(rpc_ctx *ctx, const Kolo__Groups__V1__ListMembersRequest *in,
		 Kolo__Groups__V1__ListMembersResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	page_request page;
	grp_view v;
	grp_member *rows = NULL;
	db_conn *c = NULL;
	int n = 0, rc = grp_check_id(in->group_id, "group_id");

	if (rc == 0)
		rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = grp_store_view(&v, a, c, in->group_id, rpc_ctx_user_id(ctx), 0);
	/* A member reads their group; kolo-events (the service token, for
	 * nobody) reads any group's, to tell its members of its events. A
	 * call that forwards a user's token is that user's call. */
	if (rc == 0 && !grp_is_service_call(ctx))
		rc = grp_require_role(&v, 0, 0);
	if (rc == 0)
		rc = grp_store_members(&rows, &n, a, c, in->group_id, &page);
	if (rc < 0)
		return rc;
	out->members = page_items(&out->n_members, a, &page, n, sizeof(*out->members));
	if (!out->members)
		return err_oom();
	for (size_t i = 0; i < out->n_members; i++) {
		Kolo__Identity__V1__User *user = NULL;

		/* kolo-events (the internal caller) takes ids and roles only: it
		 * reads contacts itself, 500 a call. Asking identity per member
		 * made one event of a 5,000-member group 5,000 calls. */
		rc = rpc_ctx_is_internal(ctx) ? 0 : grp_lookup_user(ctx, rows[i].user_id, &user);
		if (rc < 0)
			return rc;
		out->members[i] = grp_member_message(ctx, &rows[i], user);
		if (!out->members[i])
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(grp_member, page_key, id));
}
