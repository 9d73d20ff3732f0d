#include "proposals.h"

#include <string.h>

#include "log/log.h"
#include "events/events.h"
#include "notify.h"

static grp_gov_config grp_gov_wired = {
	.delay_s = 172800, .tenure_s = 604800, .worker_interval_ms = 5000};

void
grp_gov_configure(const grp_gov_config *config)
{
	grp_gov_wired = *config;
}

const grp_gov_config *
grp_gov_current(void)
{
	return &grp_gov_wired;
}

/* --- facts
 * ----------------------------------------------------------------------- */

int
grp_proposal_facts(grp_gov_facts *out, mem_arena *a, db_conn *c, const grp_proposal *p)
{
	grp_voter *voters = NULL;
	grp_view v;
	const char **approvals, **objections;
	int n = 0, rc = grp_store_view(&v, a, c, p->group_id, NULL, 0);

	if (rc == 0)
		rc = grp_store_voters(&voters, &n, a, c, p->group_id);
	if (rc < 0)
		return rc;
	approvals = mem_arena_alloc(a, sizeof(*approvals) * (size_t)(p->n_votes + 1));
	objections = mem_arena_alloc(a, sizeof(*objections) * (size_t)(p->n_votes + 1));
	if (!approvals || !objections)
		return err_oom();
	*out = (grp_gov_facts){.rule = v.rule,
			       .members = voters,
			       .n_members = n,
			       .subject = p->subject[0] && !grp_kind_subject_votes(p->change.kind)
						  ? p->subject
						  : NULL,
			       .proposer = p->proposed_by,
			       .approvals = approvals,
			       .objections = objections,
			       .opened_s = p->created_s,
			       .tenure_s = grp_gov_wired.tenure_s,
			       .now_s = p->now_s,
			       .expires_s = p->expires_s,
			       .applies_s = p->applies_s};
	for (int i = 0; i < p->n_votes; i++) {
		if (p->votes[i].objection)
			objections[out->n_objections++] = p->votes[i].user_id;
		else
			approvals[out->n_approvals++] = p->votes[i].user_id;
	}
	return 0;
}

/* --- applying
 * -------------------------------------------------------------------- */

int
grp_proposal_move(db_conn *c, mem_arena *a, const grp_proposal *p, grp_prop_state to,
		  int64_t delay_s, int passed_by_members, const char *reason, const char *actor)
{
	int rc = grp_store_proposal_move(c, p->id, p->status, to, delay_s, passed_by_members,
					 reason);

	if (rc < 0)
		return rc;
	return grp_notify_proposal(c, a, grp_notify_proposal_type(to), p->id, actor);
}

int
grp_constitute_if_ready(db_conn *c, mem_arena *a, const char *group_id)
{
	grp_view v;
	int rc = grp_store_view(&v, a, c, group_id, NULL, 0);

	if (rc < 0 || v.constituted || v.officers < grp_rule_effective(&v.rule, v.officers))
		return rc;
	return grp_store_constitute(c, group_id);
}

int
grp_remove_told(db_conn *c, mem_arena *a, const char *group_id, const char *user_id,
		const char *actor)
{
	grp_member m;
	int rc = grp_store_member(&m, a, c, group_id, user_id);

	if (rc == ERR_NOT_FOUND) { /* gone already: nothing to tell */
		err_clear();
		return 0;
	}
	if (rc == 0)
		rc = grp_store_remove_member(c, group_id, user_id);
	if (rc == 0)
		rc = grp_notify_member(c, EVT_MEMBER_REMOVED, group_id, user_id, actor, m.role,
				       NULL);
	return rc;
}

/* Makes the change in the group (lock held). */
static int
grp_change_apply(db_conn *c, mem_arena *a, const char *group_id, const grp_change *ch,
		 const char *subject, const char *actor)
{
	grp_member m;
	int rc = ERR_INVALID_ARGUMENT;

	switch (ch->kind) {
	case GRP_KIND_RULE:
		rc = grp_store_set_rule(c, group_id, &ch->rule);
		break;
	case GRP_KIND_TIERS:
		rc = grp_store_set_tiers(c, group_id, ch->tiers, ch->n_tiers);
		break;
	case GRP_KIND_ADD_OFFICER:
		rc = grp_store_add_member(&m, a, c, group_id, subject, ch->role);
		if (rc == 0)
			rc = grp_notify_member(c, EVT_MEMBER_ADDED, group_id, subject, actor,
					       ch->role, NULL);
		break;
	case GRP_KIND_PROMOTE:
	case GRP_KIND_DEMOTE:
		rc = grp_store_set_role(c, group_id, subject, ch->role);
		break;
	case GRP_KIND_REMOVE_OFFICER:
		rc = grp_remove_told(c, a, group_id, subject, actor);
		break;
	case GRP_KIND_REVOKE_PUBLIC_TOKEN:
		rc = grp_store_set_token(c, group_id, NULL);
		break;
	case GRP_KIND_ACCOUNT_HOLDER:
		rc = grp_store_set_holder(c, group_id, subject);
		break;
	case GRP_KIND_NONE:
	case GRP_KIND_COUNT:
		return err_set(ERR_INVALID_ARGUMENT, "unknown_kind", "not a kind of proposal");
	}
	if (rc == 0)
		rc = grp_constitute_if_ready(c, a, group_id);
	return rc;
}

/* The subject's role now (NONE when not a member). */
static int
grp_subject_role(db_conn *c, mem_arena *a, const grp_proposal *p, grp_role *out)
{
	grp_member m;
	int rc;

	*out = GRP_ROLE_NONE;
	if (!p->subject[0])
		return 0;
	rc = grp_store_member(&m, a, c, p->group_id, p->subject);
	if (rc == ERR_NOT_FOUND) {
		err_clear();
		return 0;
	}
	if (rc == 0)
		*out = m.role;
	return rc;
}

/* A PASSED proposal whose time-lock is over: applied when still valid,
 * else REJECTED with the reason. One transaction, a compare-and-set. */
static int
grp_proposal_apply(db_conn *c, mem_arena *a, const grp_proposal *p)
{
	grp_role subject_role = GRP_ROLE_NONE;
	grp_gov_group g = {0};
	grp_view v;
	char *reason;
	int rc = grp_store_view(&v, a, c, p->group_id, NULL, 0);

	if (rc == 0)
		rc = grp_subject_role(c, a, p, &subject_role);
	if (rc == 0)
		rc = grp_store_count_owners(&g.owners, c, p->group_id);
	if (rc < 0)
		return rc;
	g.rule = v.rule;
	g.officers = v.officers;
	if (grp_gov_still_valid(&p->change, subject_role, &g) < 0) {
		reason = mem_arena_strdup(a, err_last()->reason);
		log_event(LOG_LVL_INFO, "proposal_rejected", "proposal_id", p->id, "reason",
			  err_last()->message, NULL);
		err_clear();
		if (!reason)
			return err_oom();
		return grp_proposal_move(c, a, p, GRP_PROP_REJECTED, 0, 0, reason, NULL);
	}
	rc = grp_proposal_move(c, a, p, GRP_PROP_APPLIED, 0, 0, NULL, NULL);
	if (rc == 0)
		rc = grp_change_apply(c, a, p->group_id, &p->change, p->subject, p->proposed_by);
	if (rc == 0)
		log_event(LOG_LVL_INFO, "proposal_applied", "proposal_id", p->id, "group_id",
			  p->group_id, "kind", grp_prop_kind_text(p->change.kind), NULL);
	return rc;
}

/* --- stepping
 * -------------------------------------------------------------------- */

/* Sets the approvals a PENDING proposal shows as needed to what its facts
 * f say now. */
static int
grp_proposal_required_now(db_conn *c, const grp_proposal *p, const grp_gov_facts *f)
{
	grp_gov_tally t;

	grp_gov_count(&t, f);
	if (grp_gov_required(&t) == p->approvals_required)
		return 0;
	return grp_store_proposal_required(c, p->id, grp_gov_required(&t));
}

/* proposal.opened of a new PENDING proposal id, with the approvals it
 * needs set first (group lock held). */
static int
grp_proposal_opened(db_conn *c, mem_arena *a, const char *id, const char *actor)
{
	grp_proposal p;
	grp_gov_facts f;
	int rc = grp_store_proposal(&p, a, c, id, 1);

	if (rc == 0)
		rc = grp_proposal_facts(&f, a, c, &p);
	if (rc == 0)
		rc = grp_proposal_required_now(c, &p, &f);
	if (rc == 0)
		rc = grp_notify_proposal(c, a, EVT_PROPOSAL_OPENED, id, actor);
	return rc;
}

/* Makes the one move the facts decide for p; *moved says whether any. */
static int
grp_proposal_move_once(db_conn *c, mem_arena *a, const grp_proposal *p, int *moved)
{
	grp_gov_facts f;
	int rc = grp_proposal_facts(&f, a, c, p);

	*moved = 1;
	if (rc < 0)
		return rc;
	switch (grp_gov_decide(p->status, &f)) {
	case GRP_GOV_PASS:
		return grp_proposal_move(c, a, p, GRP_PROP_PASSED, grp_gov_wired.delay_s,
					 grp_gov_by_members(&f), NULL, NULL);
	case GRP_GOV_APPLY:
		return grp_proposal_apply(c, a, p);
	case GRP_GOV_REJECT:
		return grp_proposal_move(c, a, p, GRP_PROP_REJECTED, 0, 0, "objected", NULL);
	case GRP_GOV_EXPIRE:
		return grp_proposal_move(c, a, p, GRP_PROP_EXPIRED, 0, 0, "expired", NULL);
	case GRP_GOV_WAIT:
		break;
	}
	*moved = 0;
	if (p->status != GRP_PROP_PENDING)
		return 0;
	return grp_proposal_required_now(c, p, &f);
}

int
grp_proposal_step(grp_proposal *out, mem_arena *a, db_conn *c, const char *id)
{
	grp_view v;
	int moved = 1;
	int rc = grp_store_proposal(out, a, c, id, 0);

	/* The group's lock first, as every change of the group takes it. */
	if (rc == 0)
		rc = grp_store_view(&v, a, c, out->group_id, NULL, 1);
	/* At most two moves: PENDING -> PASSED -> APPLIED with no time-lock. */
	for (int i = 0; rc == 0 && moved && i < 3; i++) {
		rc = grp_store_proposal(out, a, c, id, 1);
		if (rc == 0)
			rc = grp_proposal_move_once(c, a, out, &moved);
	}
	if (rc == 0)
		rc = grp_store_proposal(out, a, c, id, 0);
	return rc;
}

int
grp_propose(grp_proposal *out, mem_arena *a, db_conn *c, const grp_view *v,
	    const grp_change *change, const char *subject, const char *actor)
{
	char *id = NULL;
	int rc;

	if (!v->constituted) {
		rc = grp_change_apply(c, a, v->id, change, subject, actor);
		if (rc == 0)
			rc = grp_store_proposal_add(&id, a, c, v->id, change, subject, actor,
						    GRP_PROP_APPLIED, 1);
		if (rc == 0)
			rc = grp_notify_proposal(c, a, EVT_PROPOSAL_APPLIED, id, actor);
		if (rc == 0)
			rc = grp_store_proposal(out, a, c, id, 0);
		return rc;
	}
	rc = grp_store_proposal_add(&id, a, c, v->id, change, subject, actor, GRP_PROP_PENDING, 1);
	if (rc == 0)
		rc = grp_proposal_opened(c, a, id, actor);
	if (rc == 0)
		rc = grp_proposal_step(out, a, c, id);
	return rc;
}
