/* ledger: the rules of entries (no protobuf, no SQL). */
#ifndef KOLO_LEDGER_H
#define KOLO_LEDGER_H

#include <stdint.h>

#include "err/err.h"

#define LDG_REFERENCE_MAX 200
#define LDG_CLIENT_REF_MAX 200

typedef enum {
	LDG_CREDIT = 1,
	LDG_DEBIT = 2,
} ldg_type;

/* What an entry says: everything a replay must repeat to be the same. */
typedef struct ldg_entry_spec {
	const char *group_id;
	const char *account_id;
	const char *user_id;	/* "" when none */
	ldg_type type;
	int64_t amount_kobo;
	const char *currency;	/* "NGN" */
	const char *source;	/* demo, provider_sandbox, payout */
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
 * reference is not compared when by_client_ref (the client's key). */
int ldg_spec_same(const ldg_entry_spec *stored, const ldg_entry_spec *spec,
		  int by_client_ref);

#endif
