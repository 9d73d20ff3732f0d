/* governance: proposals for a group's sensitive changes (DESIGN §12), as
 * pure decisions: no protobuf, no SQL, no clock. Handlers and the worker
 * gather the facts, ask these functions, and apply the answer in one
 * transaction (docs/decisions.md, "Governance"). */
#ifndef KOLO_GRP_GOVERNANCE_H
#define KOLO_GRP_GOVERNANCE_H

#include <stdint.h>

#include "groups.h"

#define GRP_TIERS_MAX	   10
#define GRP_PROPOSAL_TTL_S (7 * 86400) /* a proposal not passed by then expires */

/* --- the proposal state machine (docs/decisions.md has it as a table) --- */

typedef enum grp_prop_state {
	GRP_PROP_PENDING,   /* collecting approvals */
	GRP_PROP_PASSED,    /* passed: waits its time-lock, objections may reject
			       it */
	GRP_PROP_APPLIED,   /* the end: the change is made */
	GRP_PROP_REJECTED,  /* the end: objected to, or no longer valid at apply
			       time */
	GRP_PROP_CANCELLED, /* the end: withdrawn by its proposer */
	GRP_PROP_EXPIRED,   /* the end: not passed within GRP_PROPOSAL_TTL_S */
	GRP_PROP_STATE_COUNT
} grp_prop_state;

/* Who makes a move (a set of these). */
enum {
	GRP_BY_VOTER = 1,    /* an approval or objection (PIN) */
	GRP_BY_PROPOSER = 2, /* the proposer (cancel) */
	GRP_BY_SYSTEM = 4,   /* the worker (or a call) once a time is reached */
};

/* The status text of a state and back (-1 when unknown). */
const char *grp_prop_state_text(grp_prop_state s);
int grp_prop_state_parse(const char *text);

/* 1 when from -> to is a move of the table for actor (GRP_BY_*). */
int grp_prop_move_allowed(grp_prop_state from, grp_prop_state to, int actor);

/* --- kinds and changes --- */

typedef enum grp_prop_kind {
	GRP_KIND_NONE = 0,
	GRP_KIND_RULE,
	GRP_KIND_TIERS,
	GRP_KIND_ADD_OFFICER,
	GRP_KIND_PROMOTE,
	GRP_KIND_DEMOTE,
	GRP_KIND_REMOVE_OFFICER,
	GRP_KIND_REVOKE_PUBLIC_TOKEN,
	GRP_KIND_ACCOUNT_HOLDER, /* the officer a live account opens under */
	GRP_KIND_COUNT
} grp_prop_kind;

/* The wire/store text of a kind ("remove_officer") and back (NONE). */
const char *grp_prop_kind_text(grp_prop_kind k);
grp_prop_kind grp_prop_kind_parse(const char *text);

/* 1 when the subject of a change of kind k approves and counts like any
 * member: naming the account holder leaves them the officer they are, so
 * they vote (a demoted or removed officer does not). */
int grp_kind_subject_votes(grp_prop_kind k);

/* One approval tier: a withdrawal whose amount (plus the 24 h look-back)
 * exceeds above_kobo needs approvals_required. */
typedef struct grp_tier {
	int64_t above_kobo;
	int approvals_required;
} grp_tier;

/* ERR_INVALID_ARGUMENT "invalid_tiers" unless the tiers are at most
 * GRP_TIERS_MAX, above_kobo >= 0 and strictly ascending, and each
 * approvals_required is 1..cap. */
KOLO_MUST_CHECK int grp_tiers_check(const grp_tier *tiers, int n, int cap);

/* The kind of a role change of a member from `from` to `to` (NONE: not a
 * member; `to` NONE: removed): PROMOTE/DEMOTE/REMOVE_OFFICER/ADD_OFFICER
 * when it touches an officer, GRP_KIND_NONE when it is immediate. */
grp_prop_kind grp_role_change_kind(grp_role from, grp_role to);

/* --- deciding --- */

/* A current member as a voter. */
typedef struct grp_voter {
	const char *user_id;
	grp_role role;
	int64_t joined_s; /* Unix seconds */
} grp_voter;

/* Everything a decision about one proposal looks at. Borrowed. */
typedef struct grp_gov_facts {
	grp_rule rule;		  /* the rule in force now */
	const grp_voter *members; /* every current member */
	int n_members;
	const char *subject; /* the officer changed, or NULL */
	const char *proposer;
	const char *const *approvals; /* user ids, one each */
	int n_approvals;
	const char *const *objections;
	int n_objections;
	int64_t opened_s; /* when the proposal was made */
	int64_t tenure_s; /* KOLO_GOVERNANCE_TENURE_S */
	int64_t now_s;
	int64_t expires_s; /* opened + GRP_PROPOSAL_TTL_S */
	int64_t applies_s; /* PASSED: when the time-lock ends */
} grp_gov_facts;

/* The counts a decision rests on. */
typedef struct grp_gov_tally {
	int needed;	       /* the current rule's number */
	int officers;	       /* officers who may approve (the subject excluded) */
	int officer_approvals; /* approvals among them */
	int deadlock;	       /* officers < needed: the members decide */
	int voters;	       /* voting members (tenure; the subject excluded) */
	int voter_approvals;
	int objections; /* objections of voters */
} grp_gov_tally;

void grp_gov_count(grp_gov_tally *out, const grp_gov_facts *f);

/* The number a proposal shows as approvals_required now: the rule's
 * number, or in a deadlock more than half of the voters. */
int grp_gov_required(const grp_gov_tally *t);

typedef enum grp_gov_outcome {
	GRP_GOV_WAIT,	/* nothing to do yet */
	GRP_GOV_PASS,	/* PENDING -> PASSED */
	GRP_GOV_APPLY,	/* PASSED and its time-lock is over */
	GRP_GOV_REJECT, /* objections exceed half of the voters */
	GRP_GOV_EXPIRE, /* PENDING past expires_s */
} grp_gov_outcome;

/* What happens to a proposal in state `state` given the facts: a PENDING
 * one expires, is rejected, passes or waits; a PASSED one is rejected,
 * applies (now >= applies_s) or waits; an ended one waits. */
grp_gov_outcome grp_gov_decide(grp_prop_state state, const grp_gov_facts *f);

/* 1 when the passing was by the members' majority (a deadlock). */
int grp_gov_by_members(const grp_gov_facts *f);

/* May user approve / object now? 0, or the error with its reason:
 * ERR_PERMISSION_DENIED "not_a_member", "subject_cannot_vote" (approving
 * or objecting to your own demotion or removal), "not_a_voter" (a member
 * without the tenure, or a plain member outside a deadlock),
 * "proposer_cannot_object"; ERR_FAILED_PRECONDITION "already_approved",
 * "already_objected". State is checked by the caller (proposal_not_pending). */
KOLO_MUST_CHECK int grp_gov_may_approve(const grp_gov_facts *f, const char *user);
KOLO_MUST_CHECK int grp_gov_may_object(const grp_gov_facts *f, const char *user);

/* A proposed change: the fields of its kind. */
typedef struct grp_change {
	grp_prop_kind kind;
	grp_rule rule;		       /* RULE */
	grp_tier tiers[GRP_TIERS_MAX]; /* TIERS */
	int n_tiers;
	grp_role role; /* ADD_OFFICER, PROMOTE, DEMOTE: the new role */
} grp_change;

/* The group now, as far as a change's validity goes. */
typedef struct grp_gov_group {
	grp_rule rule;
	int officers;
	int owners;
} grp_gov_group;

/* 0 when change can still be made to g, the subject's role being
 * subject_role now (GRP_ROLE_NONE: not a member), else the error and
 * reason it is rejected with: "rule_unsatisfiable", "invalid_tiers",
 * "already_member", "member_not_found", "last_owner", "role_changed",
 * "holder_not_officer" (an account holder must be an officer now),
 * "unknown_kind". */
KOLO_MUST_CHECK int grp_gov_still_valid(const grp_change *change, grp_role subject_role,
					const grp_gov_group *g);

/* The change in plain words for members and the public page ("make Ada
 * a TREASURER"), in the arena; subject_name names the subject ("" if
 * none). NULL when out of memory. */
char *grp_change_summary(mem_arena *a, const grp_change *change, const char *subject_name);

#endif
