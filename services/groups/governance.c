#include "governance.h"

#include <stdio.h>
#include <string.h>

#include "money/money.h"

/* --- the state machine
 * -------------------------------------------------------- */

static const char *const grp_prop_state_names[GRP_PROP_STATE_COUNT] = {
	[GRP_PROP_PENDING] = "PENDING",	    [GRP_PROP_PASSED] = "PASSED",
	[GRP_PROP_APPLIED] = "APPLIED",	    [GRP_PROP_REJECTED] = "REJECTED",
	[GRP_PROP_CANCELLED] = "CANCELLED", [GRP_PROP_EXPIRED] = "EXPIRED",
};

/* The transition table: every move a proposal can make, and who makes it. */
static const struct {
	grp_prop_state from, to;
	int who;
} grp_prop_moves[] = {
	{GRP_PROP_PENDING, GRP_PROP_PASSED, GRP_BY_VOTER},   /* approvals reach the number */
	{GRP_PROP_PENDING, GRP_PROP_REJECTED, GRP_BY_VOTER}, /* objections: a majority */
	{GRP_PROP_PENDING, GRP_PROP_CANCELLED, GRP_BY_PROPOSER},
	{GRP_PROP_PENDING, GRP_PROP_EXPIRED, GRP_BY_SYSTEM}, /* 7 days without passing */
	{GRP_PROP_PENDING, GRP_PROP_APPLIED, GRP_BY_SYSTEM}, /* before constitution: at once */
	{GRP_PROP_PASSED, GRP_PROP_APPLIED, GRP_BY_SYSTEM},  /* the time-lock is over */
	{GRP_PROP_PASSED, GRP_PROP_REJECTED, GRP_BY_VOTER | GRP_BY_SYSTEM}, /* objected; invalid */
	{GRP_PROP_PASSED, GRP_PROP_CANCELLED, GRP_BY_PROPOSER},
};

const char *
grp_prop_state_text(grp_prop_state s)
{
	return s < GRP_PROP_STATE_COUNT ? grp_prop_state_names[s] : "";
}

int
grp_prop_state_parse(const char *text)
{
	for (int s = 0; s < GRP_PROP_STATE_COUNT; s++) {
		if (strcmp(grp_prop_state_names[s], text) == 0)
			return s;
	}
	return -1;
}

int
grp_prop_move_allowed(grp_prop_state from, grp_prop_state to, int actor)
{
	for (size_t i = 0; i < sizeof(grp_prop_moves) / sizeof(grp_prop_moves[0]); i++) {
		if (grp_prop_moves[i].from == from && grp_prop_moves[i].to == to)
			return (grp_prop_moves[i].who & actor) != 0;
	}
	return 0;
}

/* --- kinds
 * --------------------------------------------------------------------- */

static const char *const grp_prop_kind_names[GRP_KIND_COUNT] = {
	[GRP_KIND_NONE] = "",
	[GRP_KIND_RULE] = "rule",
	[GRP_KIND_TIERS] = "tiers",
	[GRP_KIND_ADD_OFFICER] = "add_officer",
	[GRP_KIND_PROMOTE] = "promote",
	[GRP_KIND_DEMOTE] = "demote",
	[GRP_KIND_REMOVE_OFFICER] = "remove_officer",
	[GRP_KIND_REVOKE_PUBLIC_TOKEN] = "revoke_public_token",
	[GRP_KIND_ACCOUNT_HOLDER] = "account_holder",
};

const char *
grp_prop_kind_text(grp_prop_kind k)
{
	return k < GRP_KIND_COUNT ? grp_prop_kind_names[k] : "";
}

grp_prop_kind
grp_prop_kind_parse(const char *text)
{
	for (int k = GRP_KIND_RULE; k < GRP_KIND_COUNT; k++) {
		if (strcmp(grp_prop_kind_names[k], text) == 0)
			return (grp_prop_kind)k;
	}
	return GRP_KIND_NONE;
}

int
grp_kind_subject_votes(grp_prop_kind k)
{
	return k == GRP_KIND_ACCOUNT_HOLDER;
}

int
grp_tiers_check(const grp_tier *tiers, int n, int cap)
{
	if (n > GRP_TIERS_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_tiers", "at most %d approval tiers",
			       GRP_TIERS_MAX);
	for (int i = 0; i < n; i++) {
		if (tiers[i].above_kobo < 0 ||
		    (i > 0 && tiers[i].above_kobo <= tiers[i - 1].above_kobo))
			return err_set(ERR_INVALID_ARGUMENT, "invalid_tiers",
				       "approval tiers must be in ascending "
				       "order of above_kobo");
		if (tiers[i].approvals_required < 1 || tiers[i].approvals_required > cap)
			return err_set(ERR_INVALID_ARGUMENT, "invalid_tiers",
				       "a tier's approvals_required must be 1 "
				       "to the cap (%d)",
				       cap);
	}
	return 0;
}

grp_prop_kind
grp_role_change_kind(grp_role from, grp_role to)
{
	if (from == to)
		return GRP_KIND_NONE;
	if (from == GRP_ROLE_NONE)
		return grp_is_officer(to) ? GRP_KIND_ADD_OFFICER : GRP_KIND_NONE;
	if (to == GRP_ROLE_NONE)
		return grp_is_officer(from) ? GRP_KIND_REMOVE_OFFICER : GRP_KIND_NONE;
	/* OWNER is above TREASURER, above MEMBER (the enum's order). */
	if (grp_is_officer(to) && to < from)
		return GRP_KIND_PROMOTE;
	return grp_is_officer(from) ? GRP_KIND_DEMOTE : GRP_KIND_NONE;
}

/* --- deciding
 * -------------------------------------------------------------------- */

static int
grp_in(const char *const *ids, int n, const char *user)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(ids[i], user) == 0)
			return 1;
	}
	return 0;
}

static const grp_voter *
grp_gov_member(const grp_gov_facts *f, const char *user)
{
	for (int i = 0; i < f->n_members; i++) {
		if (strcmp(f->members[i].user_id, user) == 0)
			return &f->members[i];
	}
	return NULL;
}

static int
grp_is_subject(const grp_gov_facts *f, const char *user)
{
	return f->subject && strcmp(f->subject, user) == 0;
}

/* An officer who may approve: an officer now, not the subject. */
static int
grp_gov_officer(const grp_gov_facts *f, const grp_voter *m)
{
	return grp_is_officer(m->role) && !grp_is_subject(f, m->user_id);
}

/* A voting member: joined a tenure before the proposal, not the subject. */
static int
grp_gov_voter(const grp_gov_facts *f, const grp_voter *m)
{
	return m->joined_s <= f->opened_s - f->tenure_s && !grp_is_subject(f, m->user_id);
}

void
grp_gov_count(grp_gov_tally *out, const grp_gov_facts *f)
{
	int all_officers = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < f->n_members; i++) {
		const grp_voter *m = &f->members[i];
		int approved = grp_in(f->approvals, f->n_approvals, m->user_id);

		all_officers += grp_is_officer(m->role);
		if (grp_gov_officer(f, m)) {
			out->officers++;
			out->officer_approvals += approved;
		}
		if (grp_gov_voter(f, m)) {
			out->voters++;
			out->voter_approvals += approved;
			out->objections += grp_in(f->objections, f->n_objections, m->user_id);
		}
	}
	out->needed = grp_rule_effective(&f->rule, all_officers);
	if (out->needed < 1)
		out->needed = 1;
	out->deadlock = out->officers < out->needed;
}

int
grp_gov_required(const grp_gov_tally *t)
{
	return t->deadlock ? t->voters / 2 + 1 : t->needed;
}

static int
grp_gov_passes(const grp_gov_tally *t)
{
	if (!t->deadlock)
		return t->officer_approvals >= t->needed;
	return t->voters > 0 && 2 * t->voter_approvals > t->voters;
}

static int
grp_gov_objected(const grp_gov_tally *t)
{
	return t->objections > 0 && 2 * t->objections > t->voters;
}

grp_gov_outcome
grp_gov_decide(grp_prop_state state, const grp_gov_facts *f)
{
	grp_gov_tally t;

	grp_gov_count(&t, f);
	switch (state) {
	case GRP_PROP_PENDING:
		if (f->now_s >= f->expires_s)
			return GRP_GOV_EXPIRE;
		if (grp_gov_objected(&t))
			return GRP_GOV_REJECT;
		return grp_gov_passes(&t) ? GRP_GOV_PASS : GRP_GOV_WAIT;
	case GRP_PROP_PASSED:
		if (grp_gov_objected(&t))
			return GRP_GOV_REJECT;
		return f->now_s >= f->applies_s ? GRP_GOV_APPLY : GRP_GOV_WAIT;
	case GRP_PROP_APPLIED:
	case GRP_PROP_REJECTED:
	case GRP_PROP_CANCELLED:
	case GRP_PROP_EXPIRED:
	case GRP_PROP_STATE_COUNT:
		break;
	}
	return GRP_GOV_WAIT;
}

int
grp_gov_by_members(const grp_gov_facts *f)
{
	grp_gov_tally t;

	grp_gov_count(&t, f);
	return t.deadlock;
}

/* The checks approving and objecting share: a member, not the subject, once. */
static int
grp_gov_may_vote(const grp_gov_facts *f, const char *user, const grp_voter **out)
{
	*out = grp_gov_member(f, user);
	if (!*out)
		return err_set(ERR_PERMISSION_DENIED, "not_a_member",
			       "only members of the group act on its proposals");
	if (grp_is_subject(f, user))
		return err_set(ERR_PERMISSION_DENIED, "subject_cannot_vote",
			       "the member a proposal changes neither approves "
			       "nor objects to it");
	if (grp_in(f->approvals, f->n_approvals, user))
		return err_set(ERR_FAILED_PRECONDITION, "already_approved",
			       "you have already approved this proposal");
	if (grp_in(f->objections, f->n_objections, user))
		return err_set(ERR_FAILED_PRECONDITION, "already_objected",
			       "you have already objected to this proposal");
	return 0;
}

int
grp_gov_may_approve(const grp_gov_facts *f, const char *user)
{
	const grp_voter *m = NULL;
	grp_gov_tally t;
	int rc = grp_gov_may_vote(f, user, &m);

	if (rc < 0)
		return rc;
	grp_gov_count(&t, f);
	if (grp_gov_officer(f, m) || (t.deadlock && grp_gov_voter(f, m)))
		return 0;
	return err_set(ERR_PERMISSION_DENIED, "not_a_voter",
		       t.deadlock ? "only members of the group for the tenure approve"
				  : "only officers approve this proposal");
}

int
grp_gov_may_object(const grp_gov_facts *f, const char *user)
{
	const grp_voter *m = NULL;
	int rc = grp_gov_may_vote(f, user, &m);

	if (rc < 0)
		return rc;
	if (f->proposer && strcmp(f->proposer, user) == 0)
		return err_set(ERR_PERMISSION_DENIED, "proposer_cannot_object",
			       "the proposer cancels rather than objects");
	if (!grp_gov_voter(f, m))
		return err_set(ERR_PERMISSION_DENIED, "not_a_voter",
			       "only members of the group for the tenure object");
	return 0;
}

/* --- validity at apply time
 * ---------------------------------------------------------- */

static int
grp_gov_subject_present(grp_role subject_role)
{
	if (subject_role == GRP_ROLE_NONE)
		return err_set(ERR_FAILED_PRECONDITION, "member_not_found",
			       "the member the proposal changes is no longer "
			       "in the group");
	return 0;
}

/* Taking an OWNER away must leave one. */
static int
grp_gov_keeps_owner(const grp_change *c, grp_role subject_role, const grp_gov_group *g)
{
	if (subject_role == GRP_ROLE_OWNER && c->role != GRP_ROLE_OWNER && g->owners <= 1)
		return err_set(ERR_FAILED_PRECONDITION, "last_owner",
			       "the group's last OWNER cannot leave or be demoted");
	return 0;
}

int
grp_gov_still_valid(const grp_change *c, grp_role subject_role, const grp_gov_group *g)
{
	int rc = 0;

	switch (c->kind) {
	case GRP_KIND_RULE:
		return grp_rule_check_officers(&c->rule, g->officers);
	case GRP_KIND_TIERS:
		return grp_tiers_check(c->tiers, c->n_tiers, g->rule.approvals_cap);
	case GRP_KIND_ADD_OFFICER:
		if (subject_role != GRP_ROLE_NONE)
			return err_set(ERR_ALREADY_EXISTS, "already_member",
				       "the user is already a member of the group");
		return 0;
	case GRP_KIND_PROMOTE:
	case GRP_KIND_DEMOTE:
		rc = grp_gov_subject_present(subject_role);
		if (rc == 0 && grp_role_change_kind(subject_role, c->role) != c->kind)
			rc = err_set(ERR_FAILED_PRECONDITION, "role_changed",
				     "the member's role changed since the proposal");
		if (rc == 0)
			rc = grp_gov_keeps_owner(c, subject_role, g);
		return rc;
	case GRP_KIND_REMOVE_OFFICER:
		rc = grp_gov_subject_present(subject_role);
		if (rc == 0 && !grp_is_officer(subject_role))
			rc = err_set(ERR_FAILED_PRECONDITION, "role_changed",
				     "the member is no longer an officer");
		if (rc == 0)
			rc = grp_gov_keeps_owner(c, subject_role, g);
		return rc;
	case GRP_KIND_REVOKE_PUBLIC_TOKEN:
		return 0;
	case GRP_KIND_ACCOUNT_HOLDER:
		if (!grp_is_officer(subject_role))
			return err_set(ERR_FAILED_PRECONDITION, "holder_not_officer",
				       "the account holder must be an officer "
				       "of the group (OWNER or TREASURER)");
		return 0;
	case GRP_KIND_NONE:
	case GRP_KIND_COUNT:
		break;
	}
	return err_set(ERR_INVALID_ARGUMENT, "unknown_kind", "not a kind of proposal");
}

/* --- in plain words
 * --------------------------------------------------------------------- */

static char *
grp_rule_summary(mem_arena *a, const grp_rule *r)
{
	if (r->template_ == GRP_RULE_MAJORITY)
		return mem_arena_printf(a,
					"change the rule to majority (more than half of the "
					"officers, at most %d)",
					r->approvals_cap);
	return mem_arena_printf(a, "change the rule to %s (%d approval%s, at most %d)",
				grp_template_text(r->template_), r->approvals_required,
				r->approvals_required == 1 ? "" : "s", r->approvals_cap);
}

static char *
grp_tiers_summary(mem_arena *a, const grp_change *c)
{
	char *text = mem_arena_strdup(a, c->n_tiers ? "set approval tiers:"
						    : "remove the approval tiers");

	for (int i = 0; text && i < c->n_tiers; i++) {
		char naira[MONEY_TEXT_MAX];

		money_naira(naira, c->tiers[i].above_kobo);
		text = mem_arena_printf(a, "%s%s above NGN %s, %d approval%s", text, i ? ";" : "",
					naira, c->tiers[i].approvals_required,
					c->tiers[i].approvals_required == 1 ? "" : "s");
	}
	return text;
}

char *
grp_change_summary(mem_arena *a, const grp_change *c, const char *subject_name)
{
	const char *who = subject_name && subject_name[0] ? subject_name : "a member";

	switch (c->kind) {
	case GRP_KIND_RULE:
		return grp_rule_summary(a, &c->rule);
	case GRP_KIND_TIERS:
		return grp_tiers_summary(a, c);
	case GRP_KIND_ADD_OFFICER:
		return mem_arena_printf(a, "add %s as %s", who, grp_role_text(c->role));
	case GRP_KIND_PROMOTE:
	case GRP_KIND_DEMOTE:
		return mem_arena_printf(a, "make %s %s", who, grp_role_text(c->role));
	case GRP_KIND_REMOVE_OFFICER:
		return mem_arena_printf(a, "remove the officer %s from the group", who);
	case GRP_KIND_REVOKE_PUBLIC_TOKEN:
		return mem_arena_strdup(a, "turn off the public page");
	case GRP_KIND_ACCOUNT_HOLDER:
		return mem_arena_printf(a, "open the group's account in the name of %s", who);
	case GRP_KIND_NONE:
	case GRP_KIND_COUNT:
		break;
	}
	return mem_arena_strdup(a, "");
}
