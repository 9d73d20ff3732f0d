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
} ldg_posting;

/* Appends the entry (and its fee) and moves the group's balance in one
 * statement, its own transaction. *posted is 0, and nothing is written,
 * when a DEBIT's reference already has an outcome (an entry or a refusal)
 * or when it would take the balance below zero: then the refusal is
 * recorded, and that reference is refused for ever (ldg_store_refusal).
 * ERR_ALREADY_EXISTS when the reference or client_ref is taken;
 * ERR_FAILED_PRECONDITION (foreign_key_violation) for a group or account
 * that does not exist or do not belong together; ERR_UNAVAILABLE
 * "lock_not_available" when the balance row stayed held past the wait. */
KOLO_MUST_CHECK int ldg_store_post(db_conn *c, mem_arena *a, const ldg_posting *p,
				   ldg_entry *out, ldg_entry *fee_out, int *posted);

/* A DEBIT the balance refused: the reference's only outcome. */
typedef struct ldg_refusal {
	char group_id[40];
	int64_t amount_kobo;
	int64_t balance_kobo; /* what the group held then */
} ldg_refusal;

/* The refusal recorded for reference; *found is 0 when there is none. */
KOLO_MUST_CHECK int ldg_store_refusal(db_conn *c, const char *reference,
				      ldg_refusal *out, int *found);


/* The entry whose column ("id", "reference" or "client_ref") is value;
 * *found is 0 when there is none. */
KOLO_MUST_CHECK int ldg_store_find(db_conn *c, mem_arena *a, const char *column,
				   const char *value, ldg_entry *out, int *found);

/* The group's balance (0 for a group without entries). */
KOLO_MUST_CHECK int ldg_store_balance(db_conn *c, const char *group_id,
				      int64_t *out);

/* Entries of a group filtered by type (0: both) and [from, to) ("" = no
 * bound), newest first unless oldest_first; one page (+1 row). */
typedef struct ldg_filter {
	ldg_type type;
	const char *from;
	const char *to;
	int oldest_first;
} ldg_filter;

KOLO_MUST_CHECK int ldg_store_list(db_conn *c, mem_arena *a, const char *group_id,
				   const ldg_filter *filter, const page_request *page,
				   ldg_entry **out, int *n);

#endif
