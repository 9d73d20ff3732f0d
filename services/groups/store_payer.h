/* store_payer: the SQL of payer accounts (migration 0032). Strings in out
 * structs are allocated in the given arena. */
#ifndef KOLO_GRP_STORE_PAYER_H
#define KOLO_GRP_STORE_PAYER_H

#include "db/db.h"
#include "mem/mem.h"

typedef struct grp_payer {
	char *id;
	char *user_id;
	char *bank_code;
	char *bank_name;
	char *account_number;
	char *account_name;
	char *created_at; /* RFC 3339 UTC */
} grp_payer;

/* Takes the account's registration lock (bank_code + account_number) until
 * the transaction ends: two users registering one account run in turn. */
KOLO_MUST_CHECK int grp_store_payer_lock(db_conn *c, const char *bank_code,
					 const char *account_number);

/* Takes user_id's registration lock until the transaction ends (before
 * any account's lock): one user's registrations run in turn, so the cap on
 * live accounts holds. */
KOLO_MUST_CHECK int grp_store_payer_user_lock(db_conn *c, const char *user_id);

/* The number of user_id's live accounts. */
KOLO_MUST_CHECK int grp_store_payer_count(db_conn *c, const char *user_id, int *n);

/* user's live registration of the account: *found 0 when none. */
KOLO_MUST_CHECK int grp_store_payer_own(db_conn *c, mem_arena *a, const char *user_id,
					const char *bank_code, const char *account_number,
					grp_payer *out, int *found);

/* *in_use 1 when another user who shares a group with user_id has the
 * account registered (live). */
KOLO_MUST_CHECK int grp_store_payer_in_use(db_conn *c, const char *user_id,
					   const char *bank_code,
					   const char *account_number, int *in_use);

/* Registers the account for in->user_id; out is the stored row. */
KOLO_MUST_CHECK int grp_store_payer_add(db_conn *c, mem_arena *a, const grp_payer *in,
					grp_payer *out);

/* user's live accounts, oldest first. */
KOLO_MUST_CHECK int grp_store_payer_list(db_conn *c, mem_arena *a, const char *user_id,
					 grp_payer **out, int *n);

/* Removes user's live account id: *found 0 when user has no such live one. */
KOLO_MUST_CHECK int grp_store_payer_remove(db_conn *c, const char *user_id, const char *id,
					   int *found);

/* The live registrations of account_number by members of group_id now
 * (user_id, bank_code, bank_name set), ordered by user. */
KOLO_MUST_CHECK int grp_store_payer_candidates(db_conn *c, mem_arena *a,
					       const char *group_id,
					       const char *account_number, grp_payer **out,
					       int *n);

#endif
