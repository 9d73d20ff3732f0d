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

/* --- payer accounts: who of a group pays from an account (MatchPayer) ---- */

/* A payer account: a bank account a user registered to pay from (the row
 * of migration 0032; store_payer.c reads and writes it). */
typedef struct grp_payer {
	char *id;
	char *user_id;
	char *bank_code;
	char *bank_name;
	char *account_number;
	char *account_name;
	char *created_at; /* RFC 3339 UTC */
} grp_payer;

/* Who of a group paid from an account: among rows, the live registrations
 * of its number by the group's members (user_id, bank_code and bank_name
 * read; any order), the one user of the rows that agree with the deposit's
 * bank, else NULL (none, or several users). A row agrees:
 * - with a bank_code (bank_name is then not read): when its code is that;
 * - with no bank_code and no bank_name ("" both): always;
 * - with only a bank_name (the provider's list could not map it to a
 *   code): when the two names are likely one bank: lower-cased letters and
 *   digits of each (at most 63 kept), one within the other and both at
 *   least 3 long. A number at another bank is another account, so a single
 *   row that does not agree is no match.
 * The result points into rows. Pure: no I/O. */
const char *grp_payer_pick(const grp_payer *rows, int n, const char *bank_code,
			   const char *bank_name);

/* --- deposits: AllocateDeposit's earlier try (DESIGN §15) ---------------- */

/* 1 when the ledger's refusal of an AllocateDeposit (its reason) may be
 * met by a retry of a request the ledger already did: the request has a
 * request_id (keyed) and the reason is entry_already_allocated,
 * same_member or allocation_changed; else 0 (the refusal stands). Pure. */
int grp_alloc_may_be_earlier(int keyed, const char *refusal);

/* An allocation of a deposit as the ledger lists it. */
typedef struct grp_alloc_row {
	const char *id;		   /* "": the credit-time attribution */
	const char *user_id;	   /* the member credited */
	const char *allocated_by;  /* the officer */
	const char *reason;	   /* the allocation's reason */
	const char *superseded_at; /* "" while in force */
} grp_alloc_row;

/* What a retry of AllocateDeposit knows: the request and the deposit's
 * allocations as the ledger lists them (oldest first). */
typedef struct grp_alloc_facts {
	const char *user_id; /* the request's member */
	const char *officer; /* the caller */
	const char *reason;  /* the request's reason */
	const grp_alloc_row *rows;
	size_t n;
} grp_alloc_facts;

/* The index in f->rows of the allocation an earlier try of this request
 * wrote (one that died before its reply was stored: that allocation is
 * the reply), or -1. The last allocation in force (an id, not superseded)
 * decides: it is the request's when its member and officer are the
 * request's (ids compared case aside) and its reason the same text.
 * Pure: no I/O. */
int grp_alloc_earlier_pick(const grp_alloc_facts *f);

#endif
