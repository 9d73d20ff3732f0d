/* ledger: the rules of entries (no protobuf, no SQL). */
#ifndef KOLO_LEDGER_H
#define KOLO_LEDGER_H

#include <stdint.h>

#include "err/err.h"

#define LDG_REFERENCE_MAX  200
#define LDG_CLIENT_REF_MAX 200

typedef enum {
	LDG_CREDIT = 1,
	LDG_DEBIT = 2,
} ldg_type;

/* What an entry says: everything a replay must repeat to be the same. */
typedef struct ldg_entry_spec {
	const char *group_id;
	const char *account_id;
	const char *user_id; /* "" when none */
	ldg_type type;
	int64_t amount_kobo;
	const char *currency; /* "NGN" */
	const char *source;   /* demo, provider_sandbox, payout */
	const char *reference;
	const char *client_ref; /* "" when none */
	int simulated;
	const char *payment_channel; /* "VA" by default */
} ldg_entry_spec;

/* "CREDIT"/"DEBIT" and back (0 when neither). */
const char *ldg_type_text(ldg_type t);
ldg_type ldg_type_parse(const char *text);

/* The most one entry may move: money_max_kobo() (KOLO_MAX_AMOUNT_KOBO),
 * or MONEY_MAX_KOBO for a payout's entries (source "payout": a withdrawal
 * the bound admitted before it was lowered). */
int64_t ldg_amount_max(const ldg_entry_spec *spec);

/* Fills defaults (currency NGN, channel VA) and checks every field:
 * ERR_INVALID_ARGUMENT with a reason naming what is wrong (the amount as
 * money_amount_check() against ldg_amount_max()). */
KOLO_MUST_CHECK int ldg_spec_check(ldg_entry_spec *spec);

/* A CREDIT's fee (what the provider kept) is its own DEBIT, posted with
 * it, whose reference is LDG_FEE_PREFIX + the credit's reference; requests
 * may not use the prefix themselves. */
#define LDG_FEE_PREFIX "fee:"

/* Checks a fee for a checked spec: 0 (none), or a CREDIT's fee with
 * 0 < fee < amount and room for the fee's reference. ERR_INVALID_ARGUMENT
 * "invalid_fee" or "fee_not_below_amount" otherwise. */
KOLO_MUST_CHECK int ldg_fee_check(const ldg_entry_spec *credit, int64_t fee_kobo);

/* The fee DEBIT of credit: fee_kobo under fee_reference (borrowed), no
 * client_ref, everything else as the credit. */
void ldg_fee_spec(ldg_entry_spec *out, const ldg_entry_spec *credit, int64_t fee_kobo,
		  const char *fee_reference);

/* A hold's request (DESIGN §13): a group UUID, an amount of 1..money_max_kobo() and
 * a reference as an entry's; ERR_INVALID_ARGUMENT naming what is wrong. */
KOLO_MUST_CHECK int ldg_hold_check(const char *group_id, int64_t amount_kobo,
				   const char *reference);
/* A hold's reference alone (release, capture). */
KOLO_MUST_CHECK int ldg_hold_ref_check(const char *reference);

/* 1 when a stored entry says the same as spec (a true replay). The
 * reference is not compared when by_client_ref (the client's key). A
 * CREDIT's user_id is not compared either: the member a deposit is
 * credited to is decided by the first delivery (a re-sent webhook never
 * attributes twice nor fails; DESIGN §15). */
int ldg_spec_same(const ldg_entry_spec *stored, const ldg_entry_spec *spec, int by_client_ref);

/* --- members' contributions (DESIGN §15) ----------------------------------- */

/* The payer of a deposit CREDIT as the provider named them ("" unknown). */
typedef struct ldg_payer {
	const char *name;
	const char *account_number;
	const char *bank_name;
} ldg_payer;

/* 1 when any payer field is set. */
int ldg_payer_present(const ldg_payer *p);

/* A payer on a checked spec: only on a CREDIT; a name and a bank name of
 * at most 200 characters, an account number of at most 20 digits.
 * ERR_INVALID_ARGUMENT "invalid_payer" otherwise. A reverses_reference
 * ("" none) only on a DEBIT ("invalid_reference" otherwise). */
KOLO_MUST_CHECK int ldg_extras_check(const ldg_entry_spec *spec, const ldg_payer *p,
				     const char *reverses_reference);

/* A reversal's who and why ("" none each): only with a reverses_reference
 * (invalid_reference otherwise), a reason of at most 500 characters
 * (invalid_reason), an actor that is a user id (invalid_id). */
KOLO_MUST_CHECK int ldg_reversal_audit_check(const char *reverses_reference, const char *reason,
					     const char *actor_id);

/* 1 when an entry is a deposit CREDIT: money arriving, not a payout's
 * reversal (source "payout"). */
int ldg_is_deposit(const ldg_entry_spec *e);

/* Whether debit may reverse deposit (the entry its reverses_reference
 * names): a deposit CREDIT of the same group (entry_not_found for another
 * group's, not_a_deposit otherwise) of the same amount
 * (reversal_amount_mismatch), not reversed by another entry
 * (reversed_by_other: deposit_already_reversed). */
KOLO_MUST_CHECK int ldg_reversal_decide(const ldg_entry_spec *debit, const ldg_entry_spec *deposit,
					int reversed_by_other);

/* What AllocateEntry finds under the group's lock. */
typedef struct ldg_alloc_state {
	int found;		     /* the entry exists */
	const ldg_entry_spec *entry; /* when found */
	int reversed;		     /* the deposit has a reversal */
	const char *current_user;    /* the effective member now, "" none */
	int has_allocation;	     /* an officer's allocation is in force */
} ldg_alloc_state;

/* What is asked. */
typedef struct ldg_alloc_ask {
	const char *group_id;
	const char *user_id;
	const char *allocated_by;
	const char *reason;
	int reallocate;
	/* With reallocate: the member the officer saw it credited to. */
	const char *expected_user_id;
} ldg_alloc_ask;

/* The checks of an allocation's request alone: ids (expected_user_id
 * required with reallocate: missing_field), reason length, and nobody
 * allocates to themselves (PERMISSION_DENIED self_allocation: another
 * officer must). */
KOLO_MUST_CHECK int ldg_alloc_check(const char *entry_id, const ldg_alloc_ask *ask);

/* Whether ask may be written over state (0), else the reason:
 * entry_not_found (no such entry in the group), not_a_deposit,
 * deposit_reversed, entry_already_allocated (credited to a member and not
 * reallocate), reason_required (reallocate without a reason),
 * allocation_changed (ABORTED: reallocate, and the member in force is not
 * expected_user_id), same_member (reallocate to the member it is credited
 * to). */
KOLO_MUST_CHECK int ldg_alloc_decide(const ldg_alloc_state *state, const ldg_alloc_ask *ask);

#endif
