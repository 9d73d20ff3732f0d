/* store: every SQL statement of kolo-identity (the only libpq user).
 *
 * Strings written into out structs are allocated in the given arena.
 * Times go in as Unix microseconds (the service's clock) and come out as
 * RFC 3339 UTC text. */
#ifndef KOLO_IDN_STORE_H
#define KOLO_IDN_STORE_H

#include <stdint.h>

#include "db/db.h"
#include "mem/mem.h"
#include "page/page.h"
#include "contact.h"
#include "pii.h"
#include "throttle.h"

typedef struct idn_user {
	char *id;
	char *email;
	char *name;
	char *created_at;
	char *password_hash;
	int has_pin;
	int email_verified;
	char *phone;	    /* E.164 or "" */
	int phone_verified; /* the user entered the code sent to phone */
	int kyc_verified;   /* the user's identity check is verified */
	char *kyc_name;	    /* the provider's name for it; "" when none */
} idn_user;

typedef struct idn_refresh_row {
	char *id;
	char *user_id;
	int revoked;
	int expired;		/* at the given now */
	int replaced;		/* revoked by rotation (replaced_by set) */
	int64_t revoked_age_us; /* since the rotation, when replaced */
} idn_refresh_row;

typedef struct idn_pin {
	char *pin_hash;
	char *recovery_hash;
	idn_pin_lockout lockout;
} idn_pin;

typedef struct idn_session {
	char *id;
	char *device_info;
	char *ip_address;
	char *created_at;
	char *expires_at;
	char *page_key; /* created_at as the database prints it */
} idn_session;

typedef struct idn_event {
	char *id;
	char *event;
	char *ip_address;
	char *device_info;
	char *created_at;
	char *page_key;
} idn_event;

/* Users. ERR_NOT_FOUND "user_not_found" when absent; insert gives
 * ERR_ALREADY_EXISTS "email_taken" for a duplicate email. */
KOLO_MUST_CHECK int idn_store_user_by_email(idn_user *out, mem_arena *a, db_conn *c,
					    const char *email);
KOLO_MUST_CHECK int idn_store_user_by_id(idn_user *out, mem_arena *a, db_conn *c, const char *id);
KOLO_MUST_CHECK int idn_store_insert_user(idn_user *out, mem_arena *a, db_conn *c,
					  const char *email, const char *hash, const char *name);

/* Activity log: one row per event of DESIGN §4. */
KOLO_MUST_CHECK int idn_store_log(db_conn *c, const char *user_id, const char *event,
				  const char *ip, const char *device);

/* Refresh tokens. lock finds the row of a token hash FOR UPDATE
 * (ERR_NOT_FOUND when unknown). */
KOLO_MUST_CHECK int idn_store_insert_refresh(char **out_id, mem_arena *a, db_conn *c,
					     const char *user_id, const char *token_hash,
					     const char *device, const char *ip, int64_t now,
					     int64_t expires_at);
KOLO_MUST_CHECK int idn_store_lock_refresh(idn_refresh_row *out, mem_arena *a, db_conn *c,
					   const char *token_hash, int64_t now);
KOLO_MUST_CHECK int idn_store_replace_refresh(db_conn *c, const char *old_id, const char *new_id);
/* Revokes one live token of user_id (*out_count 0 or 1), or all of them. */
KOLO_MUST_CHECK int idn_store_revoke_refresh(int *out_count, db_conn *c, const char *id,
					     const char *user_id);
KOLO_MUST_CHECK int idn_store_revoke_all(int *out_count, db_conn *c, const char *user_id);
/* Ended sessions (session_revocation), for refusing their access tokens.
 * end_session records that the session whose newest row is id (of
 * user_id) ended: that row and the earlier rows of its chain (found
 * through replaced_by) whose tokens may still be valid at now, i.e. made
 * after now - window_us, each valid until its creation + window_us.
 * end_sessions_of does the same for every row of user_id. Both take the
 * revocation lock first (so revocations are numbered in commit order, see
 * migration 0018), hold it to the commit, and sweep a few long-expired
 * revocations. Run them inside the transaction that revokes the rows. */
KOLO_MUST_CHECK int idn_store_end_session(db_conn *c, const char *id, const char *user_id,
					  int64_t now, int64_t window_us);
KOLO_MUST_CHECK int idn_store_end_sessions_of(db_conn *c, const char *user_id, int64_t now,
					      int64_t window_us);
/* *out_ended = 1 when session_id has ended, else 0. */
KOLO_MUST_CHECK int idn_store_session_ended(int *out_ended, db_conn *c, const char *session_id);

typedef struct idn_revocation {
	int64_t seq;
	char *session_id;
	char *valid_until;
} idn_revocation;

/* Revocations after seq `after` still valid at now, oldest first: at most
 * limit + 1 (so the caller knows whether more follow). *out_head is the
 * highest seq written so far (0 when none), read in the same snapshot. */
KOLO_MUST_CHECK int idn_store_revocations(idn_revocation **out, int *out_n, int64_t *out_head,
					  mem_arena *a, db_conn *c, int64_t after, int64_t now,
					  int limit);

/* Live sessions of a user, newest first, after (key, id) when given;
 * at most limit + 1 rows so the caller knows whether a page follows. */
KOLO_MUST_CHECK int idn_store_sessions(idn_session **out, int *out_n, mem_arena *a, db_conn *c,
				       const char *user_id, int64_t now, const page_request *page);
KOLO_MUST_CHECK int idn_store_events(idn_event **out, int *out_n, mem_arena *a, db_conn *c,
				     const char *user_id, const page_request *page);

/* Throttles (identity_throttle). lock finds the row of (kind, key_hash),
 * making it when absent, FOR UPDATE; save writes it back with the time
 * after which it may be forgotten; sweep deletes some forgotten rows. */
KOLO_MUST_CHECK int idn_store_lock_throttle(idn_throttle *out, db_conn *c, const char *kind,
					    const char *key_hash);
KOLO_MUST_CHECK int idn_store_save_throttle(db_conn *c, const char *kind, const char *key_hash,
					    const idn_throttle *t, int64_t forget_after);
KOLO_MUST_CHECK int idn_store_sweep_throttles(db_conn *c, int64_t now);

/* PINs. lock reads a user's PIN row FOR UPDATE (ERR_FAILED_PRECONDITION
 * "pin_not_set" when none). */
KOLO_MUST_CHECK int idn_store_lock_pin(idn_pin *out, mem_arena *a, db_conn *c, const char *user_id);
KOLO_MUST_CHECK int idn_store_insert_pin(db_conn *c, const char *user_id, const char *pin_hash,
					 const char *recovery_hash);
/* Writes the lockout state of a user's PIN. */
KOLO_MUST_CHECK int idn_store_pin_lockout(db_conn *c, const char *user_id,
					  const idn_pin_lockout *lockout);
/* Sets a new PIN hash (and recovery hash when not NULL), clearing the
 * failure counts, the day's lockouts and any lock. */
KOLO_MUST_CHECK int idn_store_set_pin(db_conn *c, const char *user_id, const char *pin_hash,
				      const char *recovery_hash);

/* --- KYC (store_kyc.c) -------------------------------------------------- */
/* A user's identity check. The number is there only sealed (has_number),
 * until it is erased. */
typedef struct idn_kyc_row {
	char *user_id;
	char *id_type;
	char *status; /* pending, verified, failed */
	char *id_hash;
	char *last3;
	int has_number;
	idn_pii_sealed sealed; /* when has_number */
	char *provider;
	char *provider_ref; /* "" when none */
	char *consent_url;
	char *reason;
	char *verified_at;   /* RFC 3339; "" unless verified */
	char *verified_name; /* the provider's name for the holder when
			      * verified; "" when none (verified before
			      * 0034, or not verified) */
} idn_kyc_row;

/* The check of user_id (*out_found 0 when none), FOR UPDATE when lock. */
KOLO_MUST_CHECK int idn_store_kyc_get(idn_kyc_row *out, int *out_found, mem_arena *a, db_conn *c,
				      const char *user_id, int lock);
/* ERR_ALREADY_EXISTS "kyc_id_in_use" when a user other than user_id is
 * verified with id_hash. */
KOLO_MUST_CHECK int idn_store_kyc_hash_free(db_conn *c, const char *id_hash, const char *user_id);
/* Writes a user's check whole (a new submission replaces the old one),
 * verified_at now and verified_name when verified; "kyc_id_in_use" as
 * above when the unique index refuses it. */
KOLO_MUST_CHECK int idn_store_kyc_put(db_conn *c, const idn_kyc_row *row);
/* Records the provider's answer on a pending check of provider_ref:
 * status and reason (NULL for none), and verified_name (the provider's
 * name for the holder) when status is verified; *out_changed 0 when the check
 * is no longer that pending one. Any read-back also stamps checked_at. */
KOLO_MUST_CHECK int idn_store_kyc_result(int *out_changed, db_conn *c, const char *user_id,
					 const char *provider_ref, const char *status,
					 const char *reason, const char *verified_name);
/* Pending checks with a provider reference, least recently read first. */
KOLO_MUST_CHECK int idn_store_kyc_pending(idn_kyc_row **out, int *out_n, mem_arena *a, db_conn *c,
					  int limit);
/* Erases a user's sealed number (*out_erased 0 when there was none). */
KOLO_MUST_CHECK int idn_store_kyc_erase(int *out_erased, db_conn *c, const char *user_id);
/* Rows sealed under a key other than kid (for re-sealing), at most limit;
 * and one row re-sealed, only if it is still sealed under old_kid. */
KOLO_MUST_CHECK int idn_store_kyc_sealed_other(idn_kyc_row **out, int *out_n, mem_arena *a,
					       db_conn *c, const char *kid, int limit);
KOLO_MUST_CHECK int idn_store_kyc_reseal(int *out_changed, db_conn *c, const char *user_id,
					 const char *old_kid, const idn_pii_sealed *sealed);

/* --- Contacts, email codes and phones (store_contact.c) ------------------- */
typedef struct idn_contact {
	char *user_id;
	char *name;
	char *email;
	int email_verified;
	char *phone; /* E.164 when verified, else "" */
} idn_contact;

/* The users of ids (UUID text, validated by the caller) that exist, in
 * no particular order; a phone only when it is verified. */
KOLO_MUST_CHECK int idn_store_contacts(idn_contact **out, int *out_n, mem_arena *a, db_conn *c,
				       char *const *ids, size_t n_ids);

/* Locks user_id's row (orders the user's code sends and verifications)
 * and reads what ch proves, their email or their phone ("" when none), and
 * whether it is verified; ERR_NOT_FOUND "user_not_found". */
KOLO_MUST_CHECK int idn_store_lock_user(char **out_address, int *out_verified, mem_arena *a,
					db_conn *c, const char *user_id, idn_code_channel ch);

/* How many codes of channel went to address (whoever asked) in the day
 * before now (Unix microseconds), into *out_n. */
KOLO_MUST_CHECK int idn_store_codes_to_address(int *out_n, db_conn *c, idn_code_channel ch,
					       const char *address, int64_t now);

/* The newest code of user_id on ch, FOR UPDATE, and the day's count of
 * that channel (at now). */
KOLO_MUST_CHECK int idn_store_code_state(idn_code_state *out, mem_arena *a, db_conn *c,
					 const char *user_id, idn_code_channel ch, int64_t now);

/* Adds a code of ch sent to address at now, expiring at expires (which
 * ends older ones of ch: the newest is the live one), and forgets
 * user_id's codes of ch older than a day. */
KOLO_MUST_CHECK int idn_store_insert_code(db_conn *c, const char *user_id, idn_code_channel ch,
					  const char *address, const char *code_hash, int64_t now,
					  int64_t expires);

/* One more wrong try of code id. */
KOLO_MUST_CHECK int idn_store_code_attempt(db_conn *c, const char *id);

/* Code id used at now, and what it proves (its user's email, or their
 * phone while it is still the number the code went to) verified at now. */
KOLO_MUST_CHECK int idn_store_code_consume(db_conn *c, const char *id, const char *user_id,
					   idn_code_channel ch, int64_t now);

/* Sets (phone E.164, not verified) or clears (NULL) user_id's phone. */
KOLO_MUST_CHECK int idn_store_set_phone(db_conn *c, const char *user_id, const char *phone);

#endif
