/* store: every SQL statement of kolo-groups (the only libpq user).
 * Strings in out structs are allocated in the given arena. */
#ifndef KOLO_GRP_STORE_H
#define KOLO_GRP_STORE_H

#include "db/db.h"
#include "groups.h"
#include "page/page.h"

/* A group as one user sees it. */
typedef struct grp_view {
	char *id;
	char *name;
	char *description;
	grp_rule rule;
	char *created_by;
	char *created_at;
	char *public_token; /* "" when none */
	grp_role my_role;   /* GRP_ROLE_NONE: not a member */
	int officers;
	int members;
	char *page_key;	    /* the viewer's joined_at (ListMyGroups) */
	char *membership_id;
} grp_view;

typedef struct grp_member {
	char *user_id;
	grp_role role;
	char *joined_at;
	char *page_key;
	char *id; /* membership row */
} grp_member;

/* Creates the group and its OWNER membership (in the caller's
 * transaction); out is the owner's view. */
KOLO_MUST_CHECK int grp_store_create(db_conn *c, mem_arena *a, const char *name,
				     const char *description, const grp_rule *rule,
				     const char *owner, grp_view *out);

/* The group as viewer sees it (viewer NULL: a service's view). lock takes
 * the group row FOR UPDATE: every membership change of a group runs under
 * it. ERR_NOT_FOUND "group_not_found" when there is no such group. */
KOLO_MUST_CHECK int grp_store_view(db_conn *c, mem_arena *a, const char *group_id,
				   const char *viewer, int lock, grp_view *out);

/* The groups of user, newest membership first, one page (+1 row). */
KOLO_MUST_CHECK int grp_store_my_groups(db_conn *c, mem_arena *a, const char *user,
					const page_request *page, grp_view **out,
					int *n);

KOLO_MUST_CHECK int grp_store_update(db_conn *c, const char *group_id,
				     const char *name, const char *description,
				     const grp_rule *rule);

/* Memberships. add gives ERR_ALREADY_EXISTS "already_member"; member gives
 * ERR_NOT_FOUND "member_not_found". */
KOLO_MUST_CHECK int grp_store_add_member(db_conn *c, mem_arena *a,
					 const char *group_id, const char *user_id,
					 grp_role role, grp_member *out);
KOLO_MUST_CHECK int grp_store_member(db_conn *c, mem_arena *a, const char *group_id,
				     const char *user_id, grp_member *out);
KOLO_MUST_CHECK int grp_store_set_role(db_conn *c, const char *group_id,
				       const char *user_id, grp_role role);
KOLO_MUST_CHECK int grp_store_remove_member(db_conn *c, const char *group_id,
					    const char *user_id);
/* Members of a group, earliest first (owners among them), one page (+1). */
KOLO_MUST_CHECK int grp_store_members(db_conn *c, mem_arena *a, const char *group_id,
				      const page_request *page, grp_member **out,
				      int *n);
/* How many OWNERs the group has. */
KOLO_MUST_CHECK int grp_store_count_owners(db_conn *c, const char *group_id, int *out);

/* Public read token: set (NULL clears) and resolve. */
KOLO_MUST_CHECK int grp_store_set_token(db_conn *c, const char *group_id,
					const char *token);
KOLO_MUST_CHECK int grp_store_resolve_token(db_conn *c, mem_arena *a,
					    const char *token, grp_view *out);

#endif
