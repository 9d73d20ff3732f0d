/* store: every SQL statement of kolo-groups (the only libpq user).
 * Strings in out structs are allocated in the given arena. */
#ifndef KOLO_GRP_STORE_H
#define KOLO_GRP_STORE_H

#include <jansson.h>

#include "db/db.h"
#include "governance.h"
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
	char *page_key; /* the viewer's joined_at (ListMyGroups) */
	char *membership_id;
	int constituted; /* sensitive changes are proposals */
	grp_tier tiers[GRP_TIERS_MAX];
	int n_tiers;
	char *account_holder; /* who a live account opens under now: the named
				 officer while an officer, else the OWNER */
	int public_dues;      /* the public page shows paid/unpaid (DESIGN §15) */
} grp_view;

typedef struct grp_member {
	char *user_id;
	grp_role role;
	char *joined_at;
	char *page_key;
	char *id; /* membership row */
} grp_member;

/* Takes user's CreateGroup lock (held until the transaction ends) and
 * counts the groups user created in the last window_s seconds; *out_retry_s
 * is when the oldest of them leaves the window (0 when there is none). */
KOLO_MUST_CHECK int grp_store_recent_groups(int *out_n, int *out_retry_s, db_conn *c,
					    const char *user, int window_s);

/* Creates the group and its OWNER membership (in the caller's
 * transaction); out is the owner's view. */
KOLO_MUST_CHECK int grp_store_create(grp_view *out, mem_arena *a, db_conn *c, const char *name,
				     const char *description, const grp_rule *rule,
				     const char *owner);

/* The group as viewer sees it (viewer NULL: a service's view). lock takes
 * the group row FOR UPDATE: every membership change of a group runs under
 * it. ERR_NOT_FOUND "group_not_found" when there is no such group. */
KOLO_MUST_CHECK int grp_store_view(grp_view *out, mem_arena *a, db_conn *c, const char *group_id,
				   const char *viewer, int lock);

/* The groups of user, newest membership first, one page (+1 row). */
KOLO_MUST_CHECK int grp_store_my_groups(grp_view **out, int *out_n, mem_arena *a, db_conn *c,
					const char *user, const page_request *page);

KOLO_MUST_CHECK int grp_store_update(db_conn *c, const char *group_id, const char *name,
				     const char *description, const grp_rule *rule);

/* Memberships. add gives ERR_ALREADY_EXISTS "already_member"; member gives
 * ERR_NOT_FOUND "member_not_found". */
KOLO_MUST_CHECK int grp_store_add_member(grp_member *out, mem_arena *a, db_conn *c,
					 const char *group_id, const char *user_id, grp_role role);
KOLO_MUST_CHECK int grp_store_member(grp_member *out, mem_arena *a, db_conn *c,
				     const char *group_id, const char *user_id);
/* set_role to MEMBER and remove_member also drop the user as the group's
 * named account holder. */
KOLO_MUST_CHECK int grp_store_set_role(db_conn *c, const char *group_id, const char *user_id,
				       grp_role role);
KOLO_MUST_CHECK int grp_store_remove_member(db_conn *c, const char *group_id, const char *user_id);
/* Names user_id the officer the group's live account opens under. */
KOLO_MUST_CHECK int grp_store_set_holder(db_conn *c, const char *group_id, const char *user_id);
/* Members of a group, earliest first (owners among them), one page (+1). */
KOLO_MUST_CHECK int grp_store_members(grp_member **out, int *out_n, mem_arena *a, db_conn *c,
				      const char *group_id, const page_request *page);
/* How many OWNERs the group has. */
KOLO_MUST_CHECK int grp_store_count_owners(int *out, db_conn *c, const char *group_id);

/* Public read token: set (NULL clears) and resolve. */
KOLO_MUST_CHECK int grp_store_set_token(db_conn *c, const char *group_id, const char *token);
KOLO_MUST_CHECK int grp_store_resolve_token(grp_view *out, mem_arena *a, db_conn *c,
					    const char *token);

/* --- governance (store_proposal.c) --- */

/* A vote on a proposal. */
typedef struct grp_vote {
	char *user_id;
	char *created_at;
	int objection; /* 0: an approval */
} grp_vote;

/* A proposal row with its votes. Times are RFC 3339 ("" when unset) and
 * Unix seconds (0 when unset); now_s is the database's clock. */
typedef struct grp_proposal {
	char *id, *group_id, *subject, *proposed_by, *reason;
	grp_change change;
	grp_prop_state status;
	int approvals_required;
	int passed_by_members;
	char *created_at, *expires_at, *applies_at, *decided_at;
	int64_t created_s, expires_s, applies_s, now_s;
	char *page_key;
	grp_vote *votes;
	int n_votes;
} grp_proposal;

/* The change as the JSON a proposal row keeps (new reference; NULL when
 * out of memory). */
json_t *grp_change_json(const grp_change *ch);

/* Records a proposal of change (subject may be NULL) in status, with the
 * proposer's approval; *out_id in the arena. */
KOLO_MUST_CHECK int grp_store_proposal_add(char **out_id, mem_arena *a, db_conn *c,
					   const char *group_id, const grp_change *change,
					   const char *subject, const char *proposer,
					   grp_prop_state status, int approvals_required);

/* One proposal and its votes; lock takes the row FOR UPDATE.
 * ERR_NOT_FOUND "proposal_not_found". */
KOLO_MUST_CHECK int grp_store_proposal(grp_proposal *out, mem_arena *a, db_conn *c, const char *id,
				       int lock);

/* A group's proposals, newest first, one page (+1 row), with their votes. */
KOLO_MUST_CHECK int grp_store_proposals(grp_proposal **out, int *out_n, mem_arena *a, db_conn *c,
					const char *group_id, const page_request *page);

/* Records user's approval or objection. ERR_ALREADY_EXISTS when made. */
KOLO_MUST_CHECK int grp_store_vote(db_conn *c, const char *proposal_id, const char *user_id,
				   int objection);

/* The one mover: from -> to as a compare-and-set on status. PASSED sets
 * applies_at delay_s from now; an end sets decided_at and reason.
 * ERR_ABORTED "proposal_not_pending" when the row is no longer in from. */
KOLO_MUST_CHECK int grp_store_proposal_move(db_conn *c, const char *id, grp_prop_state from,
					    grp_prop_state to, int64_t delay_s,
					    int passed_by_members, const char *reason);

/* Sets the number a proposal shows as needed now. */
KOLO_MUST_CHECK int grp_store_proposal_required(db_conn *c, const char *id, int required);

/* Every member of a group as a voter (role, joined_at in Unix seconds). */
KOLO_MUST_CHECK int grp_store_voters(grp_voter **out, int *out_n, mem_arena *a, db_conn *c,
				     const char *group_id);

/* The group's rule alone, its tiers, and its constituted flag (set only). */
KOLO_MUST_CHECK int grp_store_set_rule(db_conn *c, const char *group_id, const grp_rule *rule);
KOLO_MUST_CHECK int grp_store_set_tiers(db_conn *c, const char *group_id, const grp_tier *tiers,
					int n);
KOLO_MUST_CHECK int grp_store_constitute(db_conn *c, const char *group_id);

/* Ids of proposals the worker must look at: PASSED past applies_at,
 * PENDING past expires_at; at most limit. */
KOLO_MUST_CHECK int grp_store_proposals_due(char ***out, int *out_n, mem_arena *a, db_conn *c,
					    int limit);

/* Tiers from their stored JSON into out (at most GRP_TIERS_MAX). */
KOLO_MUST_CHECK int grp_store_tiers_parse(grp_tier *out, int *n, const char *json);

#endif
