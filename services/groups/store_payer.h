/* store_payer: the SQL of payer accounts (migration 0032). Strings in out
 * structs are allocated in the given arena. */
#ifndef KOLO_GRP_STORE_PAYER_H
#define KOLO_GRP_STORE_PAYER_H

#include "db/db.h"
#include "groups.h"
#include "mem/mem.h"

/* Takes the account's registration lock (bank_code + account_number) until
 * the transaction ends: two users registering one account run in turn. */
KOLO_MUST_CHECK int grp_store_payer_lock(db_conn *c, const char *bank_code,
					 const char *account_number);

/* Takes user_id's registration lock until the transaction ends (before
 * any account's lock): one user's registrations run in turn, so the cap on
 * live accounts holds. */
KOLO_MUST_CHECK int grp_store_payer_user_lock(db_conn *c, const char *user_id);

/* The number of user_id's live accounts. */
KOLO_MUST_CHECK int grp_store_payer_count(int *out_n, db_conn *c, const char *user_id);

/* user's live registration of the account: *out_found 0 when none. */
KOLO_MUST_CHECK int grp_store_payer_own(grp_payer *out, int *out_found, mem_arena *a, db_conn *c,
					const char *user_id, const char *bank_code,
					const char *account_number);

/* *out_in_use 1 when another user who shares a group with user_id has the
 * account registered (live). */
KOLO_MUST_CHECK int grp_store_payer_in_use(int *out_in_use, db_conn *c, const char *user_id,
					   const char *bank_code, const char *account_number);

/* Registers the account for in->user_id; out is the stored row. */
KOLO_MUST_CHECK int grp_store_payer_add(grp_payer *out, mem_arena *a, db_conn *c,
					const grp_payer *in);

/* user's live accounts, oldest first. */
KOLO_MUST_CHECK int grp_store_payer_list(grp_payer **out, int *out_n, mem_arena *a, db_conn *c,
					 const char *user_id);

/* Removes user's live account id: *out_found 0 when user has no such live one. */
KOLO_MUST_CHECK int grp_store_payer_remove(int *out_found, db_conn *c, const char *user_id,
					   const char *id);

/* The live registrations of account_number by members of group_id now
 * (user_id, bank_code, bank_name set), ordered by user. */
KOLO_MUST_CHECK int grp_store_payer_candidates(grp_payer **out, int *out_n, mem_arena *a,
					       db_conn *c, const char *group_id,
					       const char *account_number);

#endif
