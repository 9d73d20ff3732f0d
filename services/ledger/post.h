/* post: one PostEntry in steps (handlers.c), so that PostEntries (batch.c)
 * posts each of its entries exactly as PostEntry would: prepare (checks,
 * the reversal's target), post (ldg_post: the statement), settle (a replay,
 * a conflict or a refusal read back), answer. */
#ifndef KOLO_LDG_POST_H
#define KOLO_LDG_POST_H

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "rpc/rpc.h"
#include "store.h"

/* One posting's working state: an entry, and with a CREDIT's fee its fee
 * DEBIT, written together (ldg_store_post), and what came of it. */
typedef struct ldg_post_tx {
	mem_arena *arena;
	const ldg_entry_spec *spec;
	const ldg_entry_spec *fee;     /* NULL: no fee */
	ldg_entry entry;	       /* out: posted, or the original of a replay */
	ldg_entry fee_entry;	       /* out when has_fee */
	int posted;		       /* out */
	int has_fee;		       /* out: the entry has a fee DEBIT */
	const ldg_payer *payer;	       /* a CREDIT's payer, or NULL */
	const char *reverses_entry_id; /* a deposit's reversal: the deposit, or "" */
	int other_reversal;	       /* out: the stored DEBIT reverses another, or none */
	const char *reversal_reason;   /* a deposit's reversal: why, who ("" none) */
	const char *actor_id;
} ldg_post_tx;

/* A PostEntry request read: t points into the struct, so it stays where
 * ldg_post_prepare filled it (never copied). */
typedef struct ldg_post_one {
	ldg_entry_spec spec;
	ldg_entry_spec fee;
	ldg_payer payer;
	ldg_post_tx t;
} ldg_post_one;

/* Checks the request as PostEntry does and finds a reversal's deposit;
 * *out_conn is the thread's connection. The request's strings are borrowed. */
KOLO_MUST_CHECK int ldg_post_prepare(rpc_ctx *ctx, ldg_post_one *o,
				     const Kolo__Ledger__V1__PostEntryRequest *in,
				     db_conn **out_conn);

/* The posting's statement (ldg_store_post), waiting for the group's row at
 * most the lock wait and never past the call's deadline; in a transaction
 * or on its own. UNAVAILABLE "group_busy" when the row stayed held. */
KOLO_MUST_CHECK int ldg_post(rpc_ctx *ctx, db_conn *c, ldg_post_tx *t);

/* ldg_post of a plain DEBIT (no fee, no reversal) through the group's
 * queue (coalesce.c): posted at once when no other debit of the group is
 * being posted, else with the others queued meanwhile in one statement.
 * Answers as ldg_post. */
KOLO_MUST_CHECK int ldg_coalesce_post(rpc_ctx *ctx, db_conn *c, ldg_post_tx *t);

/* ldg_store_place_hold of h (its outputs filled as that function's)
 * through the group's queue, as ldg_coalesce_post: at once when no other
 * posting of the group is in flight, else with the holds queued meanwhile
 * in one statement. */
KOLO_MUST_CHECK int ldg_coalesce_hold(rpc_ctx *ctx, db_conn *c, ldg_hold_slot *h);

/* After the posting committed (rc its statement's outcome): a key taken or
 * a debit not posted is read back as a replay (t->posted 0, the original in
 * t->entry), a conflict or a refusal (their errors). No fence: a caller
 * that answers a replay must db_fence() first. */
KOLO_MUST_CHECK int ldg_post_settle(db_conn *c, ldg_post_one *o,
				    const Kolo__Ledger__V1__PostEntryRequest *in, int rc);

/* The PostEntry response of a settled posting (in the call's arena). */
KOLO_MUST_CHECK int ldg_post_answer(rpc_ctx *ctx, const ldg_post_tx *t,
				    Kolo__Ledger__V1__PostEntryResponse *out);

#endif
