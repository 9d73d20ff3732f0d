/* kolo-groups over real gRPC against a throwaway PostgreSQL, with
 * kolo-identity (for users) in the same process, each service as its own
 * database role. Payments is not running: accounts stay pending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "svc/call.h"
#include "groups_service.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "test_identity.h"
#include "test_pg.h"

static char dbname[TEST_PG_NAME_MAX];
static test_identity idn;
static test_service svc;
static rpc_channel *to_identity, *to_payments;
static char *groups_conninfo;
static mem_arena *arena;
static PGconn *admin;

static int setup(void **state)
{
	char *conninfo;

	if (!test_pg_admin() || test_pg_create_migrated_db(dbname, sizeof(dbname)) < 0)
		return -1;
	conninfo = test_pg_conninfo(dbname, NULL);
	admin = test_pg_connect(conninfo);
	free(conninfo);
	rpc_init();
	svc_calls_configure(TEST_INTERNAL_TOKEN);
	arena = mem_arena_new(0);
	if (test_identity_start(&idn, dbname) < 0)
		return -1;
	/* Payments is down: a port nothing listens on. */
	if (rpc_channel_open(&to_identity, idn.service.target,
			     &kolo__identity__v1__identity_service__descriptor, NULL) < 0 ||
	    rpc_channel_open(&to_payments, "127.0.0.1:1",
			     &kolo__payments__v1__payments_service__descriptor, NULL) < 0)
		return -1;
	grp_use_channels(to_identity, to_payments);
	groups_conninfo = test_pg_conninfo(dbname, "kolo_groups");
	return test_service_start_db(&svc, &grp_rpc_service, &idn.keys, groups_conninfo);
}

static int teardown(void **state)
{
	test_service_stop(&svc);
	test_identity_stop(&idn);
	rpc_channel_close(to_identity);
	rpc_channel_close(to_payments);
	rpc_shutdown();
	svc_calls_unconfigure();
	mem_arena_free(arena);
	free(groups_conninfo);
	if (admin)
		PQfinish(admin);
	test_pg_drop_db(dbname);
	return 0;
}

/* --- calls -------------------------------------------------------------------- */

static int call(const char *method, const void *req, void *resp, const test_user *as)
{
	test_caller who = { .access_token = as ? as->access_token : NULL,
			    .internal = as == NULL };

	return test_call(&svc, method, req, (ProtobufCMessage **)resp, arena, &who);
}

static Kolo__Groups__V1__Group *create_group(const test_user *owner, const char *name)
{
	Kolo__Groups__V1__CreateGroupRequest req =
		KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupResponse *resp = NULL;

	req.name = (char *)name;
	req.description = "Monthly contributions";
	assert_int_equal(call("CreateGroup", &req, &resp, owner), 0);
	return resp->group;
}

static int add_member(const char *group_id, const test_user *actor,
		      const test_user *who, int role)
{
	Kolo__Groups__V1__AddMemberRequest req = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__AddMemberResponse *resp = NULL;

	req.group_id = (char *)group_id;
	req.email = (char *)who->email;
	req.role = role;
	return call("AddMember", &req, &resp, actor);
}

static int set_role(const char *group_id, const test_user *actor,
		    const test_user *who, int role)
{
	Kolo__Groups__V1__UpdateMemberRoleRequest req =
		KOLO__GROUPS__V1__UPDATE_MEMBER_ROLE_REQUEST__INIT;
	Kolo__Groups__V1__UpdateMemberRoleResponse *resp = NULL;

	req.group_id = (char *)group_id;
	req.user_id = (char *)who->id;
	req.role = role;
	return call("UpdateMemberRole", &req, &resp, actor);
}

static int remove_member(const char *group_id, const test_user *actor,
			 const test_user *who)
{
	Kolo__Groups__V1__RemoveMemberRequest req =
		KOLO__GROUPS__V1__REMOVE_MEMBER_REQUEST__INIT;
	Kolo__Groups__V1__RemoveMemberResponse *resp = NULL;

	req.group_id = (char *)group_id;
	req.user_id = (char *)who->id;
	return call("RemoveMember", &req, &resp, actor);
}

static int get_group(const char *group_id, const test_user *as,
		     Kolo__Groups__V1__Group **out)
{
	Kolo__Groups__V1__GetGroupRequest req = KOLO__GROUPS__V1__GET_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__GetGroupResponse *resp = NULL;
	int rc;

	req.group_id = (char *)group_id;
	rc = call("GetGroup", &req, &resp, as);
	if (rc == 0 && out)
		*out = resp->group;
	return rc;
}

static long members_of(const char *group_id)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM group_membership WHERE group_id = '%s'", group_id);
	return test_pg_long(admin, sql);
}

#define OWNER KOLO__COMMON__V1__ROLE__ROLE_OWNER
#define TREASURER KOLO__COMMON__V1__ROLE__ROLE_TREASURER
#define MEMBER KOLO__COMMON__V1__ROLE__ROLE_MEMBER

/* --- tests ------------------------------------------------------------------------ */

static void test_create_makes_the_caller_owner(void **state)
{
	test_user ada;
	Kolo__Groups__V1__Group *g;

	test_identity_user(&idn, &ada, "ada");
	g = create_group(&ada, "  Ajo Circle  ");
	assert_string_equal(g->name, "Ajo Circle");
	assert_int_equal(g->my_role, OWNER);
	assert_int_equal(g->rule_template, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_TWO_OFFICER);
	assert_int_equal(g->approvals_required, 2);
	assert_int_equal(g->approvals_cap, 3);
	assert_int_equal(g->member_count, 1);
	assert_int_equal(g->officer_count, 1);
	assert_string_equal(g->created_by, ada.id);
	assert_false(g->has_public_token);
	assert_int_equal(members_of(g->id), 1);
}

static void test_create_refuses_bad_rules_and_names(void **state)
{
	static const struct {
		const char *name;
		int template_, required, cap;
		const char *reason;
	} cases[] = {
		{ "   ", 0, 0, 0, "invalid_name" },
		{ "x", KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_CUSTOM, 0, 0, "invalid_rule" },
		{ "x", KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_CUSTOM, 4, 3, "invalid_rule" },
		{ "x", KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER, 2, 0, "invalid_rule" },
		{ "x", 0, 0, 21, "invalid_rule" },
		{ "x", 0, 0, -1, "invalid_rule" },
		{ "x", 99, 0, 0, "invalid_rule" },
	};
	Kolo__Groups__V1__CreateGroupRequest req = KOLO__GROUPS__V1__CREATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__CreateGroupResponse *resp = NULL;
	long before = test_pg_long(admin, "SELECT count(*) FROM \"group\"");
	test_user u;

	test_identity_user(&idn, &u, "rules");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req.name = (char *)cases[i].name;
		req.rule_template = cases[i].template_;
		req.approvals_required = cases[i].required;
		req.approvals_cap = cases[i].cap;
		assert_int_equal(call("CreateGroup", &req, &resp, &u), ERR_INVALID_ARGUMENT);
		assert_string_equal(err_last()->reason, cases[i].reason);
	}
	assert_int_equal(test_pg_long(admin, "SELECT count(*) FROM \"group\""), before);
}

static void test_reads_are_for_members_only(void **state)
{
	test_user owner, stranger;
	Kolo__Groups__V1__Group *g;
	Kolo__Groups__V1__ListMembersRequest list = KOLO__GROUPS__V1__LIST_MEMBERS_REQUEST__INIT;
	Kolo__Groups__V1__ListMembersResponse *members = NULL;

	test_identity_user(&idn, &owner, "reader");
	test_identity_user(&idn, &stranger, "stranger");
	g = create_group(&owner, "Members only");
	assert_int_equal(get_group(g->id, &stranger, NULL), ERR_NOT_FOUND);
	list.group_id = g->id;
	assert_int_equal(call("ListMembers", &list, &members, &stranger), ERR_NOT_FOUND);
	assert_int_equal(get_group("00000000-0000-4000-8000-000000000000", &owner, NULL),
			 ERR_NOT_FOUND);
	assert_int_equal(get_group("nope", &owner, NULL), ERR_INVALID_ARGUMENT);
}

static void test_add_member_rules(void **state)
{
	test_user owner, treasurer, member, other, third;
	Kolo__Groups__V1__Group *g;
	test_user ghost = { .email = "nobody-at-all@example.com" };

	test_identity_user(&idn, &owner, "add-owner");
	test_identity_user(&idn, &treasurer, "add-treasurer");
	test_identity_user(&idn, &member, "add-member");
	test_identity_user(&idn, &other, "add-other");
	test_identity_user(&idn, &third, "add-third");
	g = create_group(&owner, "Adders");
	assert_int_equal(add_member(g->id, &owner, &treasurer, TREASURER), 0);
	assert_int_equal(add_member(g->id, &owner, &member, 0), 0);
	assert_int_equal(add_member(g->id, &owner, &member, 0), ERR_ALREADY_EXISTS);
	assert_string_equal(err_last()->reason, "already_member");
	assert_int_equal(add_member(g->id, &owner, &ghost, 0), ERR_NOT_FOUND);
	assert_string_equal(err_last()->reason, "user_not_found");
	/* A MEMBER is no officer; a TREASURER adds members but no officers. */
	assert_int_equal(add_member(g->id, &member, &other, 0), ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "officer_only");
	assert_int_equal(add_member(g->id, &treasurer, &other, TREASURER),
			 ERR_PERMISSION_DENIED);
	assert_int_equal(add_member(g->id, &treasurer, &other, MEMBER), 0);
	/* A stranger cannot even see the group. */
	assert_int_equal(add_member(g->id, &third, &third, 0), ERR_NOT_FOUND);
	assert_int_equal(members_of(g->id), 4);
}

static void test_list_members_pages_with_names(void **state)
{
	test_user owner, a, b;
	Kolo__Groups__V1__Group *g;
	Kolo__Groups__V1__ListMembersRequest req = KOLO__GROUPS__V1__LIST_MEMBERS_REQUEST__INIT;
	Kolo__Groups__V1__ListMembersResponse *resp = NULL;
	char token[256] = "", seen[3][64];
	size_t n = 0;

	test_identity_user(&idn, &owner, "list-owner");
	test_identity_user(&idn, &a, "list-a");
	test_identity_user(&idn, &b, "list-b");
	g = create_group(&owner, "Listing");
	assert_int_equal(add_member(g->id, &owner, &a, 0), 0);
	assert_int_equal(add_member(g->id, &owner, &b, 0), 0);
	req.group_id = g->id;
	req.page_size = 1;
	do {
		req.page_token = token;
		assert_int_equal(call("ListMembers", &req, &resp, &a), 0);
		assert_true(resp->n_members <= 1);
		for (size_t i = 0; i < resp->n_members && n < 3; i++) {
			snprintf(seen[n++], sizeof(seen[0]), "%s", resp->members[i]->email);
			assert_true(strncmp(resp->members[i]->name, "User ", 5) == 0);
		}
		snprintf(token, sizeof(token), "%s", resp->next_page_token);
	} while (token[0]);
	assert_int_equal(n, 3);
	assert_string_equal(seen[0], owner.email);
	assert_string_equal(seen[2], b.email);
}

static int update_rule(const char *group_id, const test_user *as, int template_,
		       int required, Kolo__Groups__V1__Group **out)
{
	Kolo__Groups__V1__UpdateGroupRequest req = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *resp = NULL;
	int rc;

	req.group_id = (char *)group_id;
	req.optional_rule_template_case =
		KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_RULE_TEMPLATE_RULE_TEMPLATE;
	req.rule_template = template_;
	if (required) {
		req.optional_approvals_required_case =
			KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_APPROVALS_REQUIRED_APPROVALS_REQUIRED;
		req.approvals_required = required;
	}
	rc = call("UpdateGroup", &req, &resp, as);
	if (rc == 0 && out)
		*out = resp->group;
	return rc;
}

static void test_update_group_rules(void **state)
{
	test_user owner, t1, t2;
	Kolo__Groups__V1__Group *g, *updated = NULL;
	Kolo__Groups__V1__UpdateGroupRequest rename = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *renamed = NULL;

	test_identity_user(&idn, &owner, "upd-owner");
	test_identity_user(&idn, &t1, "upd-t1");
	test_identity_user(&idn, &t2, "upd-t2");
	g = create_group(&owner, "Rules");
	assert_int_equal(add_member(g->id, &owner, &t1, TREASURER), 0);
	/* Only an OWNER changes rules. */
	assert_int_equal(update_rule(g->id, &t1, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_SINGLE_OFFICER, 0, NULL),
			 ERR_PERMISSION_DENIED);
	assert_string_equal(err_last()->reason, "owner_only");
	/* Two officers cannot meet three approvals. */
	assert_int_equal(update_rule(g->id, &owner, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_CUSTOM, 3, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "rule_unsatisfiable");
	assert_non_null(strstr(err_last()->message, "3 approvals"));
	assert_int_equal(add_member(g->id, &owner, &t2, TREASURER), 0);
	assert_int_equal(update_rule(g->id, &owner, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_CUSTOM, 3, &updated), 0);
	assert_int_equal(updated->approvals_required, 3);
	/* Majority of three officers is two. */
	assert_int_equal(update_rule(g->id, &owner, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_MAJORITY, 0, &updated), 0);
	assert_int_equal(updated->approvals_required, 2);
	assert_int_equal(updated->rule_template, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_MAJORITY);
	/* Renaming leaves the rule alone. */
	rename.group_id = g->id;
	rename.optional_name_case = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_NAME_NAME;
	rename.name = "Renamed";
	assert_int_equal(call("UpdateGroup", &rename, &renamed, &owner), 0);
	assert_string_equal(renamed->group->name, "Renamed");
	assert_string_equal(renamed->group->description, "Monthly contributions");
	assert_int_equal(renamed->group->rule_template, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_MAJORITY);
}

/* A new group has one officer, short of the default two_officer rule:
 * changes that keep its officers (a member leaving or removed, a rename)
 * are allowed all the same. */
static void test_group_short_of_officers_keeps_changing(void **state)
{
	test_user owner, m1, m2;
	Kolo__Groups__V1__Group *g;
	Kolo__Groups__V1__UpdateGroupRequest rename = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__INIT;
	Kolo__Groups__V1__UpdateGroupResponse *renamed = NULL;

	(void)state;
	test_identity_user(&idn, &owner, "short-owner");
	test_identity_user(&idn, &m1, "short-m1");
	test_identity_user(&idn, &m2, "short-m2");
	g = create_group(&owner, "Short");
	assert_int_equal(add_member(g->id, &owner, &m1, MEMBER), 0);
	assert_int_equal(add_member(g->id, &owner, &m2, MEMBER), 0);
	assert_int_equal(remove_member(g->id, &m1, &m1), 0);
	assert_int_equal(remove_member(g->id, &owner, &m2), 0);
	rename.group_id = g->id;
	rename.optional_name_case = KOLO__GROUPS__V1__UPDATE_GROUP_REQUEST__OPTIONAL_NAME_NAME;
	rename.name = "Still short";
	assert_int_equal(call("UpdateGroup", &rename, &renamed, &owner), 0);
	assert_string_equal(renamed->group->name, "Still short");
	/* A rule the one officer cannot meet is still refused. */
	assert_int_equal(update_rule(g->id, &owner, KOLO__COMMON__V1__RULE_TEMPLATE__RULE_TEMPLATE_CUSTOM, 3, NULL),
			 ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "rule_unsatisfiable");
}

static void test_last_owner_and_officer_protection(void **state)
{
	test_user owner, t1, m1, newowner;
	Kolo__Groups__V1__Group *g;

	test_identity_user(&idn, &owner, "last-owner");
	test_identity_user(&idn, &t1, "last-t1");
	test_identity_user(&idn, &m1, "last-m1");
	test_identity_user(&idn, &newowner, "last-new");
	g = create_group(&owner, "Protected");
	assert_int_equal(add_member(g->id, &owner, &t1, TREASURER), 0);
	assert_int_equal(add_member(g->id, &owner, &m1, MEMBER), 0);
	/* The last OWNER can neither be demoted nor leave. */
	assert_int_equal(set_role(g->id, &owner, &owner, TREASURER), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "last_owner");
	assert_int_equal(remove_member(g->id, &owner, &owner), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "last_owner");
	/* two_officer with two officers: the treasurer cannot go. */
	assert_int_equal(set_role(g->id, &owner, &t1, MEMBER), ERR_FAILED_PRECONDITION);
	assert_string_equal(err_last()->reason, "rule_unsatisfiable");
	assert_int_equal(remove_member(g->id, &t1, &t1), ERR_FAILED_PRECONDITION);
	/* Only an OWNER changes roles; a member may leave, not remove others. */
	assert_int_equal(set_role(g->id, &t1, &m1, TREASURER), ERR_PERMISSION_DENIED);
	assert_int_equal(remove_member(g->id, &m1, &t1), ERR_PERMISSION_DENIED);
	assert_int_equal(set_role(g->id, &owner, &m1, 0), ERR_INVALID_ARGUMENT);
	/* With a second owner the first may step down. */
	assert_int_equal(add_member(g->id, &owner, &newowner, OWNER), 0);
	assert_int_equal(set_role(g->id, &owner, &owner, TREASURER), 0);
	assert_int_equal(remove_member(g->id, &m1, &m1), 0);
	assert_int_equal(remove_member(g->id, &newowner, &m1), ERR_NOT_FOUND);
	assert_int_equal(members_of(g->id), 3);
}

static int rotate(const char *group_id, const test_user *as, char *token)
{
	Kolo__Groups__V1__RotatePublicTokenRequest req =
		KOLO__GROUPS__V1__ROTATE_PUBLIC_TOKEN_REQUEST__INIT;
	Kolo__Groups__V1__RotatePublicTokenResponse *resp = NULL;
	int rc;

	req.group_id = (char *)group_id;
	rc = call("RotatePublicToken", &req, &resp, as);
	if (rc == 0)
		snprintf(token, 64, "%s", resp->public_read_token);
	return rc;
}

static int resolve(const char *token, const char *expect_group)
{
	Kolo__Groups__V1__ResolvePublicTokenRequest req =
		KOLO__GROUPS__V1__RESOLVE_PUBLIC_TOKEN_REQUEST__INIT;
	Kolo__Groups__V1__ResolvePublicTokenResponse *resp = NULL;
	int rc;

	req.token = (char *)token;
	rc = call("ResolvePublicToken", &req, &resp, NULL);
	if (rc == 0)
		assert_string_equal(resp->group_id, expect_group);
	return rc;
}

static void test_public_token_rotation_kills_the_old(void **state)
{
	test_user owner, member;
	Kolo__Groups__V1__Group *g, *seen = NULL;
	Kolo__Groups__V1__RevokePublicTokenRequest revoke =
		KOLO__GROUPS__V1__REVOKE_PUBLIC_TOKEN_REQUEST__INIT;
	Kolo__Groups__V1__RevokePublicTokenResponse *revoked = NULL;
	char first[64], second[64];

	test_identity_user(&idn, &owner, "tok-owner");
	test_identity_user(&idn, &member, "tok-member");
	g = create_group(&owner, "Transparent");
	assert_int_equal(add_member(g->id, &owner, &member, 0), 0);
	assert_int_equal(rotate(g->id, &member, first), ERR_PERMISSION_DENIED);
	assert_int_equal(rotate(g->id, &owner, first), 0);
	assert_int_equal(strlen(first), 43);
	assert_int_equal(resolve(first, g->id), 0);
	/* Only an OWNER sees the token itself. */
	assert_int_equal(get_group(g->id, &member, &seen), 0);
	assert_true(seen->has_public_token);
	assert_string_equal(seen->public_read_token, "");
	assert_int_equal(get_group(g->id, &owner, &seen), 0);
	assert_string_equal(seen->public_read_token, first);
	assert_int_equal(rotate(g->id, &owner, second), 0);
	assert_int_equal(resolve(first, g->id), ERR_NOT_FOUND);
	assert_int_equal(resolve(second, g->id), 0);
	revoke.group_id = g->id;
	assert_int_equal(call("RevokePublicToken", &revoke, &revoked, &owner), 0);
	assert_int_equal(resolve(second, g->id), ERR_NOT_FOUND);
	assert_int_equal(resolve("", g->id), ERR_NOT_FOUND);
	assert_int_equal(resolve("' OR 1=1 --", g->id), ERR_NOT_FOUND);
}

static void test_membership_is_internal(void **state)
{
	test_user owner, stranger;
	Kolo__Groups__V1__Group *g;
	Kolo__Groups__V1__GetMembershipRequest req =
		KOLO__GROUPS__V1__GET_MEMBERSHIP_REQUEST__INIT;
	Kolo__Groups__V1__GetMembershipResponse *resp = NULL;

	test_identity_user(&idn, &owner, "ms-owner");
	test_identity_user(&idn, &stranger, "ms-stranger");
	g = create_group(&owner, "Membership");
	req.group_id = g->id;
	req.user_id = owner.id;
	assert_int_equal(call("GetMembership", &req, &resp, &owner), ERR_UNAUTHENTICATED);
	assert_int_equal(call("GetMembership", &req, &resp, NULL), 0);
	assert_true(resp->is_member);
	assert_true(resp->is_officer);
	assert_int_equal(resp->role, OWNER);
	assert_int_equal(resp->officer_count, 1);
	assert_int_equal(resp->approvals_required, 2);
	req.user_id = stranger.id;
	assert_int_equal(call("GetMembership", &req, &resp, NULL), 0);
	assert_false(resp->is_member);
	assert_int_equal(resp->role, 0);
}

static void test_my_groups_pages_newest_first(void **state)
{
	test_user u;
	Kolo__Groups__V1__ListMyGroupsRequest req = KOLO__GROUPS__V1__LIST_MY_GROUPS_REQUEST__INIT;
	Kolo__Groups__V1__ListMyGroupsResponse *resp = NULL;
	char token[256] = "", names[4][32];
	size_t n = 0;

	test_identity_user(&idn, &u, "mine");
	create_group(&u, "First");
	create_group(&u, "Second");
	create_group(&u, "Third");
	req.page_size = 2;
	do {
		req.page_token = token;
		assert_int_equal(call("ListMyGroups", &req, &resp, &u), 0);
		for (size_t i = 0; i < resp->n_groups && n < 4; i++) {
			snprintf(names[n++], sizeof(names[0]), "%s", resp->groups[i]->name);
			assert_int_equal(resp->groups[i]->my_role, OWNER);
		}
		snprintf(token, sizeof(token), "%s", resp->next_page_token);
	} while (token[0]);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "Third");
	assert_string_equal(names[2], "First");
}

#define RACERS 8

typedef struct race {
	const char *group_id;
	const test_user *owner, *who;
	int rc;
} race;

static void *racer(void *arg)
{
	race *r = arg;
	mem_arena *a = mem_arena_new(0);
	Kolo__Groups__V1__AddMemberRequest req = KOLO__GROUPS__V1__ADD_MEMBER_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	test_caller who = { .access_token = r->owner->access_token };

	req.group_id = (char *)r->group_id;
	req.email = (char *)r->who->email;
	r->rc = test_call(&svc, "AddMember", &req.base, &resp, a, &who);
	mem_arena_free(a);
	rpc_client_thread_done();
	return NULL;
}

static void test_concurrent_add_of_one_user_has_one_winner(void **state)
{
	test_user owner, joiner;
	Kolo__Groups__V1__Group *g;
	pthread_t threads[RACERS];
	race races[RACERS];
	int ok = 0, exists = 0;

	test_identity_user(&idn, &owner, "race-owner");
	test_identity_user(&idn, &joiner, "race-joiner");
	g = create_group(&owner, "Racing");
	for (int i = 0; i < RACERS; i++) {
		races[i] = (race){ .group_id = g->id, .owner = &owner, .who = &joiner };
		pthread_create(&threads[i], NULL, racer, &races[i]);
	}
	for (int i = 0; i < RACERS; i++) {
		pthread_join(threads[i], NULL);
		ok += races[i].rc == 0;
		exists += races[i].rc == ERR_ALREADY_EXISTS;
	}
	assert_int_equal(ok, 1);
	assert_int_equal(exists, RACERS - 1);
	assert_int_equal(members_of(g->id), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_makes_the_caller_owner),
		cmocka_unit_test(test_create_refuses_bad_rules_and_names),
		cmocka_unit_test(test_reads_are_for_members_only),
		cmocka_unit_test(test_add_member_rules),
		cmocka_unit_test(test_list_members_pages_with_names),
		cmocka_unit_test(test_update_group_rules),
		cmocka_unit_test(test_last_owner_and_officer_protection),
		cmocka_unit_test(test_group_short_of_officers_keeps_changing),
		cmocka_unit_test(test_public_token_rotation_kills_the_old),
		cmocka_unit_test(test_membership_is_internal),
		cmocka_unit_test(test_my_groups_pages_newest_first),
		cmocka_unit_test(test_concurrent_add_of_one_user_has_one_winner),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
