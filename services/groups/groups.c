#include "groups.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

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

/* --- payer accounts: MatchPayer's pick ------------------------------------------ */

/* A bank's name as the provider writes it is compared with the bank list's
 * in this many characters at most. */
#define GRP_BANK_KEY_MAX 64

/* name lower case, letters and digits only, into out. */
static void
grp_bank_key(char out[GRP_BANK_KEY_MAX], const char *name)
{
	size_t n = 0;

	for (; *name && n + 1 < GRP_BANK_KEY_MAX; name++) {
		if (isalnum((unsigned char)*name))
			out[n++] = (char)tolower((unsigned char)*name);
	}
	out[n] = '\0';
}

/* 1 when a provider's bank name and a bank list's name are likely one
 * bank: the same letters and digits, or one within the other (at least 3). */
static int
grp_bank_names_agree(const char *given, const char *listed)
{
	char a[GRP_BANK_KEY_MAX], b[GRP_BANK_KEY_MAX];

	grp_bank_key(a, given);
	grp_bank_key(b, listed);
	if (strlen(a) < 3 || strlen(b) < 3)
		return 0;
	return strstr(a, b) != NULL || strstr(b, a) != NULL;
}

/* The one user among rows (ordered by user) that keep(row) holds for, or
 * NULL when none or several. */
static const char *
grp_payer_only_user(const grp_payer *rows, int n, const char *bank_code, const char *bank_name)
{
	const char *user = NULL;

	for (int i = 0; i < n; i++) {
		if (bank_code[0] && strcmp(rows[i].bank_code, bank_code) != 0)
			continue;
		if (bank_name && !grp_bank_names_agree(bank_name, rows[i].bank_name))
			continue;
		if (user && strcmp(user, rows[i].user_id) != 0)
			return NULL;
		user = rows[i].user_id;
	}
	return user;
}

const char *
grp_payer_pick(const grp_payer *rows, int n, const char *bank_code, const char *bank_name)
{
	int several = 0;
	const char *user = NULL;

	/* With no bank name to go by, or the bank's code: by number and code. */
	if (bank_code[0] || !bank_name[0]) {
		for (int i = 0; i < n; i++) {
			if (bank_code[0] && strcmp(rows[i].bank_code, bank_code) != 0)
				continue;
			if (user && strcmp(user, rows[i].user_id) != 0)
				several = 1;
			user = rows[i].user_id;
		}
		return several ? NULL : user;
	}
	/* A bank name the provider's list could not map to a code: the one
	 * member whose registered bank it names, a single candidate too (a
	 * number at another bank is another account); none agrees: "". */
	return grp_payer_only_user(rows, n, bank_code, bank_name);
}

/* --- deposits: AllocateDeposit's earlier try ------------------------------------ */

int
grp_alloc_may_be_earlier(int keyed, const char *refusal)
{
	return keyed &&
	       (strcmp(refusal, "entry_already_allocated") == 0 ||
		strcmp(refusal, "same_member") == 0 || strcmp(refusal, "allocation_changed") == 0);
}

int
grp_alloc_earlier_pick(const grp_alloc_facts *f)
{
	int mine = -1;

	for (size_t i = 0; i < f->n; i++) {
		const grp_alloc_row *r = &f->rows[i];

		if (!r->id[0] || r->superseded_at[0])
			continue; /* the credit-time attribution, or superseded */
		mine = strcasecmp(r->user_id, f->user_id) == 0 &&
				       strcasecmp(r->allocated_by, f->officer) == 0 &&
				       strcmp(r->reason, f->reason) == 0
			       ? (int)i
			       : -1;
	}
	return mine;
}
