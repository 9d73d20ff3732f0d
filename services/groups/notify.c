/* The events of groups: members added and removed, proposals opened,
 * passed, applied and rejected. */
#include "notify.h"

#include "events/events.h"
#include "outbox/outbox.h"

static const char *
grp_notify_text(const char *s)
{
	return s && s[0] ? s : NULL;
}

int
grp_notify_member(db_conn *c, const char *type, const char *group_id, const char *user_id,
		  const char *actor, grp_role role, const char *name)
{
	outbox_event e = {.type = type,
			  .group_id = group_id,
			  .user_id = user_id,
			  .actor_id = grp_notify_text(actor)};

	return outbox_add(c, OUTBOX_GROUPS, &e, "{s:s, s:s, s:s*}", "user_id", user_id, "role",
			  grp_role_text(role), "name", grp_notify_text(name));
}

const char *
grp_notify_proposal_type(grp_prop_state to)
{
	switch (to) {
	case GRP_PROP_PENDING:
		return EVT_PROPOSAL_OPENED;
	case GRP_PROP_PASSED:
		return EVT_PROPOSAL_PASSED;
	case GRP_PROP_APPLIED:
		return EVT_PROPOSAL_APPLIED;
	case GRP_PROP_REJECTED:
	case GRP_PROP_CANCELLED:
	case GRP_PROP_EXPIRED:
		return EVT_PROPOSAL_REJECTED;
	case GRP_PROP_STATE_COUNT:
		break;
	}
	return NULL;
}

static void
grp_notify_votes(const grp_proposal *p, int *approvals, int *objections)
{
	*approvals = *objections = 0;
	for (int i = 0; i < p->n_votes; i++) {
		if (p->votes[i].objection)
			(*objections)++;
		else
			(*approvals)++;
	}
}

int
grp_notify_proposal(db_conn *c, mem_arena *a, const char *type, const char *id, const char *actor)
{
	grp_proposal p;
	outbox_event e = {.type = type, .actor_id = grp_notify_text(actor)};
	int approvals, objections;
	int rc = grp_store_proposal(&p, a, c, id, 0);

	if (rc < 0)
		return rc;
	e.group_id = p.group_id;
	e.user_id = grp_notify_text(p.subject);
	grp_notify_votes(&p, &approvals, &objections);
	return outbox_add(c, OUTBOX_GROUPS, &e,
			  "{s:s, s:s, s:s, s:o, s:s*, s:s, s:{s:i, s:i}, s:i, s:s*, s:s*,"
			  " s:s*}",
			  "proposal_id", p.id, "kind", grp_prop_kind_text(p.change.kind), "status",
			  grp_prop_state_text(p.status), "change", grp_change_json(&p.change),
			  "subject_user_id", grp_notify_text(p.subject), "proposed_by",
			  p.proposed_by, "votes", "approvals", approvals, "objections", objections,
			  "votes_required", p.approvals_required, "effective_at",
			  grp_notify_text(p.applies_at), "expires_at",
			  grp_notify_text(p.expires_at), "reason", grp_notify_text(p.reason));
}
