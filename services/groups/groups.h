/* groups: the rules of groups, roles and approval rules (no protobuf, no
 * SQL). Roles and templates are the seed schema's text values. */
#ifndef KOLO_GROUPS_H
#define KOLO_GROUPS_H

#include "err/err.h"
#include "mem/mem.h"

#define GRP_NAME_MAX	    120
#define GRP_DESCRIPTION_MAX 1000
#define GRP_CAP_DEFAULT	    3
#define GRP_CAP_MAX	    20

typedef enum {
	GRP_ROLE_NONE = 0, /* not a member */
	GRP_ROLE_OWNER = 1,
	GRP_ROLE_TREASURER = 2,
	GRP_ROLE_MEMBER = 3,
} grp_role;

typedef enum {
	GRP_RULE_NONE = 0,
	GRP_RULE_SINGLE_OFFICER = 1,
	GRP_RULE_TWO_OFFICER = 2,
	GRP_RULE_MAJORITY = 3,
	GRP_RULE_CUSTOM = 4,
} grp_template;

/* A group's approval rule. */
typedef struct grp_rule {
	grp_template template_;
	int approvals_required; /* as stored (custom: as set) */
	int approvals_cap;
} grp_rule;

/* The seed's text of a role ("OWNER") and back (GRP_ROLE_NONE if not). */
const char *grp_role_text(grp_role role);
grp_role grp_role_parse(const char *text);
int grp_is_officer(grp_role role);

/* The seed's text of a template ("two_officer") and back. */
const char *grp_template_text(grp_template t);
grp_template grp_template_parse(const char *text);

/* Approvals a withdrawal needs now: the template's number, majority as
 * more than half of the officers, never above the cap. */
int grp_rule_effective(const grp_rule *rule, int officers);

/* Completes a requested rule (0 = default) into out: template defaults to
 * two_officer, cap to 3; approvals_required only for custom, and for the
 * others it must be 0 or the template's own number.
 * ERR_INVALID_ARGUMENT "invalid_rule" with the reason in the message. */
KOLO_MUST_CHECK int grp_rule_build(grp_rule *out, grp_template t, int approvals_required,
				   int approvals_cap);

/* 1 when a and b are the same rule (template, approvals, cap). */
int grp_rule_same(const grp_rule *a, const grp_rule *b);

/* ERR_FAILED_PRECONDITION "rule_unsatisfiable" when officers cannot meet
 * the rule, naming the shortfall. */
KOLO_MUST_CHECK int grp_rule_check_officers(const grp_rule *rule, int officers);

/* Trims and checks a group name (1..120 bytes of clean text). */
KOLO_MUST_CHECK int grp_normalize_name(char **out, mem_arena *arena, const char *name);

/* Checks a description (0..1000 bytes of UTF-8; newlines allowed). */
KOLO_MUST_CHECK int grp_check_description(const char *description);

/* --- payer accounts: whose account the bank names (DESIGN §14, §15) ---- */

typedef enum grp_holder_verdict {
	GRP_HOLDER_OK,		     /* may register it */
	GRP_HOLDER_KYC_REQUIRED,     /* no verified identity check */
	GRP_HOLDER_KYC_NAME_MISSING, /* verified before the checked name was kept */
	GRP_HOLDER_NAME_MISMATCH,    /* the bank names someone other than the caller */
} grp_holder_verdict;

/* What AddPayerAccount knows of the caller and the account. */
typedef struct grp_holder_facts {
	int names_holder;	 /* the provider names account holders */
	int user_found;		 /* identity knows the caller */
	int kyc_verified;	 /* the caller's identity check is verified */
	const char *kyc_name;	 /* the name that check kept ("" none) */
	const char *holder_name; /* the bank's holder; NULL: not resolved yet */
} grp_holder_facts;

/* Whether the caller may register an account whose holder the provider
 * names: their identity check verified, with the provider's name for them
 * kept, and the bank's holder that name under the beneficiary rule: never
 * User.name, free text typed at Register, which the rule (a subset of
 * words) lets a user pad with another person's words to claim their
 * account. Before the resolution (holder_name NULL) only the
 * check being verified counts; where the provider names no holder, nothing
 * does. Pure: no I/O. */
grp_holder_verdict grp_holder_decide(const grp_holder_facts *f);

#endif
