/* store: every SQL statement of kolo-ledger (the only libpq user). There
 * is no UPDATE or DELETE of ledger_entry here, and the role could not run
 * one: the ledger only ever appends. */
#ifndef KOLO_LDG_STORE_H
#define KOLO_LDG_STORE_H

#include "db/db.h"
#include "ledger.h"
#include "page/page.h"

/* A stored entry; strings in the arena. */
typedef struct ldg_entry {
	char *id;
	ldg_entry_spec spec;
	char *rule_status;
	char *created_at;
	char *page_key; /* created_at as the database prints it */
} ldg_entry;

/* What one posting writes: an entry, and with a CREDIT the DEBIT of the
 * fee the provider kept (NULL: none), waiting for the group's balance row
 * at most lock_wait_ms. */
typedef struct ldg_posting {
	const ldg_entry_spec *spec;
	const ldg_entry_spec *fee;
	int64_t lock_wait_ms;
	const ldg_payer *payer;	       /* a CREDIT's (ledger_deposit_payer), or NULL */
	const char *reverses_entry_id; /* a DEBIT's deposit (ledger_reversal), or "" */
	const char *reversal_reason;   /* with reverses_entry_id: why ("" none) */
	const char *actor_id;	       /* with reverses_entry_id: who ("" none) */
} ldg_posting;

/* Appends the entry (and its fee) and moves the group's balance in one
 * statement, its own transaction. *out_posted is 0, and nothing is written,
 * when a DEBIT's reference already has an outcome (an entry or a refusal)
 * or when it would take the balance below zero: then the refusal is
 * recorded, and that reference is refused for ever (ldg_store_refusal).
 * ERR_ALREADY_EXISTS when the reference or client_ref is taken;
 * ERR_FAILED_PRECONDITION (foreign_key_violation) for a group or account
 * that does not exist or do not belong together; ERR_UNAVAILABLE
 * "lock_not_available" when the balance row stayed held past the wait. */
KOLO_MUST_CHECK int ldg_store_post(ldg_entry *out, ldg_entry *out_fee, int *out_posted,
				   mem_arena *a, db_conn *c, const ldg_posting *p);

/* One plain DEBIT (no fee, no reversal) of a coalesced batch: the entry
 * written into arena when posted. */
typedef struct ldg_debit_slot {
	const ldg_entry_spec *spec;
	mem_arena *arena;
	ldg_entry *out; /* out when *posted */
	int *posted;	/* out */
} ldg_debit_slot;

/* Plain DEBITs of one group in ONE statement (its own transaction), in
 * order: ledger_post_debit once for each, so each is checked, refused and
 * recorded exactly as ldg_store_post's alone, against what the ones before
 * it left. Any failure (a key taken meanwhile, the row held past
 * lock_wait_ms, a lost connection) writes nothing of any: the caller posts
 * each on its own. */
KOLO_MUST_CHECK int ldg_store_post_debits(db_conn *c, const ldg_debit_slot *slots, int n,
					  int64_t lock_wait_ms);

/* A DEBIT the balance refused: the reference's only outcome. */
typedef struct ldg_refusal {
	char group_id[40];
	int64_t amount_kobo;
	int64_t balance_kobo; /* what the group held then */
} ldg_refusal;

/* The refusal recorded for reference; *out_found is 0 when there is none. */
KOLO_MUST_CHECK int ldg_store_refusal(ldg_refusal *out, int *out_found, db_conn *c,
				      const char *reference);

/* A hold (DESIGN §13); strings in the arena. */
typedef struct ldg_hold {
	char *id;
	char *group_id;
	char *reference;
	int64_t amount_kobo;
	char *status;	  /* held, released, captured */
	char *expires_at; /* RFC 3339, "" for none */
	char *entry_id;	  /* "" unless captured */
	char *created_at;
	char *closed_reason; /* "" while held */
} ldg_hold;

/* PlaceHold in one statement: *out is the hold (a new one, or the one the
 * reference already names, its expiry moved to expires_at when still live:
 * *out_existed); *out_found is 0 when the available balance refused it. expires_at
 * is RFC 3339 or "" (none). */
KOLO_MUST_CHECK int ldg_store_place_hold(ldg_hold *out, int *out_found, int *out_existed,
					 mem_arena *a, db_conn *c, const char *group_id,
					 int64_t amount_kobo, const char *reference,
					 const char *expires_at, int64_t lock_wait_ms);
/* One PlaceHold of a coalesced batch, and what came of it (as
 * ldg_store_place_hold's outputs; out in arena). */
typedef struct ldg_hold_slot {
	const char *group_id;
	int64_t amount_kobo;
	const char *reference;
	const char *expires_at;
	mem_arena *arena;
	ldg_hold *out;
	int *found;   /* out */
	int *existed; /* out */
} ldg_hold_slot;

/* PlaceHolds of one group in ONE statement, in order: ledger_place_hold
 * once for each, each against what the ones before it left (a reference
 * twice: the second finds the first's hold, existed). Any failure writes
 * nothing of any. */
KOLO_MUST_CHECK int ldg_store_place_holds(db_conn *c, const ldg_hold_slot *slots, int n,
					  int64_t lock_wait_ms);

/* ReleaseHold in one statement: *out is the hold after it (*out_found 0: none). */
KOLO_MUST_CHECK int ldg_store_release_hold(ldg_hold *out, int *out_found, mem_arena *a, db_conn *c,
					   const char *reference, int64_t lock_wait_ms);
/* CaptureHold in one statement: the DEBIT spec says, of the hold named
 * reference (spec's group and amount must be the hold's). *out_posted is 0 when
 * the entry reference already had an outcome, or when there was no such
 * live hold (then that entry reference is refused for ever). */
KOLO_MUST_CHECK int ldg_store_capture_hold(ldg_entry *out, int *out_posted, mem_arena *a,
					   db_conn *c, const char *reference,
					   const ldg_entry_spec *spec, int64_t lock_wait_ms);
/* Releases up to limit holds past their expiry, on record; *out_n how many. */
KOLO_MUST_CHECK int ldg_store_sweep_holds(int *out_n, db_conn *c, int limit);
/* Folds the captures of up to limit groups whose balance row is free now
 * into that row (0017); *out_n how many captures. */
KOLO_MUST_CHECK int ldg_store_fold_captures(int *out_n, db_conn *c, int limit);

/* The entry whose column ("id", "reference" or "client_ref") is value;
 * *out_found is 0 when there is none. */
KOLO_MUST_CHECK int ldg_store_find(ldg_entry *out, int *out_found, mem_arena *a, db_conn *c,
				   const char *column, const char *value);

/* The group's posted balance (0 for a group without entries; captures not
 * yet folded into its row taken off) and what its live holds promise. */
KOLO_MUST_CHECK int ldg_store_balance(int64_t *out_balance, int64_t *out_held, db_conn *c,
				      const char *group_id);

/* Entries of a group filtered by type (0: both) and [from, to) ("" = no
 * bound), newest first unless oldest_first; one page (+1 row). */
typedef struct ldg_filter {
	ldg_type type;
	const char *from;
	const char *to;
	int oldest_first;
} ldg_filter;

KOLO_MUST_CHECK int ldg_store_list(ldg_entry **out, int *out_n, mem_arena *a, db_conn *c,
				   const char *group_id, const ldg_filter *filter,
				   const page_request *page);

/* --- members' contributions (0031) ------------------------------------------ */

/* The reversal of a deposit entry: *out_found 0 when none; else its DEBIT's
 * reference in the arena. */
KOLO_MUST_CHECK int ldg_store_reversal_of(char **out_debit_reference, int *out_found, mem_arena *a,
					  db_conn *c, const char *deposit_id);

/* The deposit a DEBIT reverses: *out_found 0 when it reverses none; else the
 * deposit's id in the arena. */
KOLO_MUST_CHECK int ldg_store_reversed_by(char **out_deposit_id, int *out_found, mem_arena *a,
					  db_conn *c, const char *debit_id);

/* An allocation row, or the attribution made at credit time (id ""). */
typedef struct ldg_allocation {
	char *id;
	char *entry_id;
	char *group_id;
	char *user_id;
	char *method; /* payer_account, officer */
	char *allocated_by;
	char *reason;
	char *created_at;
	char *superseded_at;
	char *superseded_by;
} ldg_allocation;

/* AllocateEntry in one transaction holding the group's balance row (as a
 * posting does, waiting at most lock_wait_ms): reads the entry, its reversal
 * and its allocation in force, decides (ldg_alloc_decide), writes the new
 * row and supersedes the old one, and tells of it (deposit.allocated in
 * ledger_outbox, same transaction). */
typedef struct ldg_alloc_tx {
	const char *entry_id;
	ldg_alloc_ask ask;
	int64_t lock_wait_ms;
	int64_t timeout_ms;
} ldg_alloc_tx;
KOLO_MUST_CHECK int ldg_store_allocate(ldg_allocation *out, mem_arena *a, db_conn *c,
				       const ldg_alloc_tx *t);

/* The trail of an entry of group: the credit-time attribution first (when
 * the entry has a user_id), then the officers' rows oldest first. *out_found 0:
 * no such entry in the group; *out_current the effective member ("" none). */
KOLO_MUST_CHECK int ldg_store_allocations(ldg_allocation **out, int *out_n, char **out_current,
					  int *out_found, mem_arena *a, db_conn *c,
					  const char *group_id, const char *entry_id);

/* An unallocated deposit. */
typedef struct ldg_unallocated {
	ldg_entry entry;
	char *payer_name;
	char *payer_account_number;
	char *payer_bank_name;
} ldg_unallocated;

/* One page (+1 row) of the group's unallocated, unreversed deposits, oldest
 * first, and the sum of all of them. */
KOLO_MUST_CHECK int ldg_store_unallocated(ldg_unallocated **out, int *out_n, int64_t *out_total,
					  mem_arena *a, db_conn *c, const char *group_id,
					  const page_request *page);

/* A contribution line or a member's total. */
typedef struct ldg_contribution {
	char *entry_id;
	char *user_id;
	int64_t amount_kobo; /* < 0: a reversal */
	char *created_at;
	char *kind;
	char *reference;
	int reversed; /* a deposit whose reversal is before until */
} ldg_contribution;

typedef struct ldg_contribution_total {
	char *user_id;
	int64_t paid_kobo;
	char *last_paid_at;
} ldg_contribution_total;

typedef struct ldg_contributions {
	ldg_contribution *lines;
	int n_lines;
	ldg_contribution_total *totals;
	int n_totals;
	int64_t attributed_kobo;
	int64_t unallocated_kobo;
	int64_t deposits_kobo;
} ldg_contributions;

/* With user_id, that member's lines (oldest first); without, every member's
 * totals; the group's sums always. Entries created before until only
 * (RFC 3339, "" all); the members are those deposits are credited to now. */
KOLO_MUST_CHECK int ldg_store_contributions(ldg_contributions *out, mem_arena *a, db_conn *c,
					    const char *group_id, const char *user_id,
					    const char *until);

#endif
