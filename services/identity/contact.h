/* contact: the rules of email ownership codes and phone numbers (DESIGN
 * §16; no protobuf, no SQL).
 *
 * A code is 6 random digits sent to the user's address. Only a keyed hash
 * of it is stored (6 digits fall to a plain hash at once): BLAKE2b under a
 * key derived from identity's signing key, over the user id and the code. */
#ifndef KOLO_IDN_CONTACT_H
#define KOLO_IDN_CONTACT_H

#include <sodium.h>
#include <stdint.h>

#include "err/err.h"
#include "mem/mem.h"

#define IDN_CODE_DIGITS	      6
#define IDN_CODE_TEXT	      (IDN_CODE_DIGITS + 1)
#define IDN_CODE_HASH_TEXT    (crypto_generichash_BYTES * 2 + 1)
#define IDN_CODE_TTL_S	      (30 * 60) /* a code is good for 30 minutes */
#define IDN_CODE_MAX_ATTEMPTS 5		/* wrong tries before it locks */
#define IDN_CODE_RESEND_S     60	/* at most one code a minute ... */
#define IDN_CODE_DAY_CAP      5		/* ... and five a day, per user */
#define IDN_CODE_DAY_S	      (24 * 3600)
#define IDN_PHONE_TEXT	      16 /* "+234" and 10 digits, and NUL */

/* What a code proves: the user's email address or their phone number.
 * Each has its own live code and its own send limits. */
typedef enum {
	IDN_CODE_EMAIL,
	IDN_CODE_PHONE,
} idn_code_channel;

/* "email" or "phone" (static; the store's channel column). */
const char *idn_code_channel_name(idn_code_channel ch);

/* What the store knows of a user's codes at now. */
typedef struct idn_code_state {
	int found;   /* the user has a code at all */
	char *id;    /* the newest code (when found) */
	char *email; /* the address it was sent to */
	char *code_hash;
	int attempts; /* wrong tries so far */
	int expired;
	int consumed;
	int64_t age_s;		    /* since it was sent */
	int sent_today;		    /* codes sent in the last IDN_CODE_DAY_S */
	int64_t oldest_today_age_s; /* age of the oldest of those */
} idn_code_state;

/* Whether a new code may be sent now; *retry_after_s says when one may
 * when not. */
typedef enum {
	IDN_SEND_OK,
	IDN_SEND_TOO_SOON, /* within IDN_CODE_RESEND_S of the last */
	IDN_SEND_DAY_CAP,  /* IDN_CODE_DAY_CAP sent in the last day */
} idn_send_verdict;

idn_send_verdict idn_code_send_verdict(int *out_retry_after_s, const idn_code_state *s);

/* 1 when the newest code may still be entered (unexpired, unused, not
 * locked, sent to email). */
int idn_code_live(const idn_code_state *s, const char *email);

/* What a presented code does. */
typedef enum {
	IDN_VERIFY_RIGHT,
	IDN_VERIFY_NO_CODE, /* none sent, used, or sent to another address */
	IDN_VERIFY_EXPIRED,
	IDN_VERIFY_LOCKED,     /* IDN_CODE_MAX_ATTEMPTS wrong tries */
	IDN_VERIFY_WRONG,      /* counts a try; attempts left */
	IDN_VERIFY_WRONG_LAST, /* counts the try that locks it */
} idn_verify_verdict;

/* Decides a presented code (its hash) against the newest one; hashes are
 * compared in constant time. */
idn_verify_verdict idn_code_verify_verdict(const idn_code_state *s, const char *email,
					   const char *presented_hash);

/* A new uniformly random code ("000000".."999999"). */
void idn_code_new(char code[IDN_CODE_TEXT]);

/* 6 ASCII digits: ERR_INVALID_ARGUMENT "invalid_code" otherwise. */
KOLO_MUST_CHECK int idn_code_check(const char *code);

/* The stored hash (hex) of code for user_id, keyed from the current
 * signing key (idn_current()). */
void idn_code_hash(char out[IDN_CODE_HASH_TEXT], const char *user_id, const char *code);

/* A Nigerian mobile number into E.164 "+234XXXXXXXXXX": accepts
 * "+234...", "234..." and the national "0..." form; spaces and hyphens are
 * ignored; the number must be in the NCC's mobile ranges
 * 070, 080 (not the toll-free 0800), 081, 090, 091. ERR_INVALID_ARGUMENT
 * "invalid_phone" otherwise. *out in the arena. */
KOLO_MUST_CHECK int idn_normalize_phone(char **out, mem_arena *arena, const char *phone);

#endif
