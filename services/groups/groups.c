#include "groups.h"

#include <string.h>

#include "beneficiary/beneficiary.h"
#include "text/text.h"

static const char *const grp_role_names[] = {"", "OWNER", "TREASURER", "MEMBER"};
static const char *const grp_template_names[] = {"", "single_officer", "two_officer", "majority",
						 "custom"};

const char *
grp_role_text(grp_role role)
{
	return role >= GRP_ROLE_OWNER && role <= GRP_ROLE_MEMBER ? grp_role_names[role] : "";
}

grp_role
grp_role_parse(const char *text)
{
	for (int r = GRP_ROLE_OWNER; r <= GRP_ROLE_MEMBER; r++) {
		if (strcmp(text, grp_role_names[r]) == 0)
			return (grp_role)r;
	}
	return GRP_ROLE_NONE;
}

int
grp_is_officer(grp_role role)
{
	return role == GRP_ROLE_OWNER || role == GRP_ROLE_TREASURER;
}

const char *
grp_template_text(grp_template t)
{
	return t >= GRP_RULE_SINGLE_OFFICER && t <= GRP_RULE_CUSTOM ? grp_template_names[t] : "";
}

grp_template
grp_template_parse(const char *text)
{
	for (int t = GRP_RULE_SINGLE_OFFICER; t <= GRP_RULE_CUSTOM; t++) {
		if (strcmp(text, grp_template_names[t]) == 0)
			return (grp_template)t;
	}
	return GRP_RULE_NONE;
}

int
grp_rule_effective(const grp_rule *rule, int officers)
{
	int n = rule->approvals_required;

	if (rule->template_ == GRP_RULE_MAJORITY)
		n = officers / 2 + 1;
	return n < rule->approvals_cap ? n : rule->approvals_cap;
}

static int
grp_template_number(grp_template t)
{
	return t == GRP_RULE_SINGLE_OFFICER ? 1 : t == GRP_RULE_TWO_OFFICER ? 2 : 0;
}

int
grp_rule_build(grp_rule *out, grp_template t, int approvals_required, int approvals_cap)
{
	grp_rule r = {.template_ = t ? t : GRP_RULE_TWO_OFFICER,
		      .approvals_cap = approvals_cap ? approvals_cap : GRP_CAP_DEFAULT};

	if (r.approvals_cap < 1 || r.approvals_cap > GRP_CAP_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_rule",
			       "approvals_cap must be 1 to %d", GRP_CAP_MAX);
	if (r.template_ == GRP_RULE_CUSTOM) {
		if (approvals_required < 1)
			return err_set(ERR_INVALID_ARGUMENT, "invalid_rule",
				       "the custom rule needs approvals_required of at least 1");
		r.approvals_required = approvals_required;
	} else if (r.template_ == GRP_RULE_MAJORITY) {
		if (approvals_required != 0)
			return err_set(ERR_INVALID_ARGUMENT, "invalid_rule",
				       "majority computes approvals_required from the officers");
		r.approvals_required = 1; /* stored for display; computed live */
	} else {
		if (approvals_required != 0 &&
		    approvals_required != grp_template_number(r.template_))
			return err_set(ERR_INVALID_ARGUMENT, "invalid_rule",
				       "%s needs %d approvals; use custom for another number",
				       grp_template_text(r.template_),
				       grp_template_number(r.template_));
		r.approvals_required = grp_template_number(r.template_);
	}
	if (r.approvals_required > r.approvals_cap)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_rule",
			       "approvals_required (%d) is above approvals_cap (%d)",
			       r.approvals_required, r.approvals_cap);
	*out = r;
	return 0;
}

int
grp_rule_same(const grp_rule *a, const grp_rule *b)
{
	return a->template_ == b->template_ && a->approvals_required == b->approvals_required &&
	       a->approvals_cap == b->approvals_cap;
}

int
grp_rule_check_officers(const grp_rule *rule, int officers)
{
	int need = grp_rule_effective(rule, officers);

	if (officers >= need)
		return 0;
	return err_set(ERR_FAILED_PRECONDITION, "rule_unsatisfiable",
		       "the rule needs %d approvals but the group would have %d officer%s", need,
		       officers, officers == 1 ? "" : "s");
}

int
grp_normalize_name(char **out, mem_arena *arena, const char *name)
{
	char *n = text_trim(arena, name);

	if (!n)
		return err_oom();
	if (!n[0] || strlen(n) > GRP_NAME_MAX || !text_is_clean(n))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_name",
			       "name is required: 1 to %d characters of text", GRP_NAME_MAX);
	*out = n;
	return 0;
}

int
grp_check_description(const char *description)
{
	if (strlen(description) > GRP_DESCRIPTION_MAX)
		return err_set(ERR_INVALID_ARGUMENT, "invalid_description",
			       "description is at most %d bytes", GRP_DESCRIPTION_MAX);
	if (!text_is_multiline(description))
		return err_set(ERR_INVALID_ARGUMENT, "invalid_description",
			       "description must be text (UTF-8, no control characters)");
	return 0;
}

grp_holder_verdict
grp_holder_decide(const grp_holder_facts *f)
{
	if (!f->names_holder)
		return GRP_HOLDER_OK;
	if (!f->user_found || !f->kyc_verified)
		return GRP_HOLDER_KYC_REQUIRED;
	if (!f->holder_name)
		return GRP_HOLDER_OK;
	if (!f->kyc_name[0])
		return GRP_HOLDER_KYC_NAME_MISSING;
	if (!beneficiary_names_match(f->kyc_name, f->holder_name))
		return GRP_HOLDER_NAME_MISMATCH;
	return GRP_HOLDER_OK;
}
