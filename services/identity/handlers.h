/* handlers: one function per IdentityService RPC (see methods.c). */
#ifndef KOLO_IDN_HANDLERS_H
#define KOLO_IDN_HANDLERS_H

#include "rpc/rpc.h"

#define IDN_HANDLER(name)                                                     \
	int idn_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,             \
		       ProtobufCMessage *resp)

IDN_HANDLER(register);
IDN_HANDLER(login);
IDN_HANDLER(refresh);
IDN_HANDLER(logout);
IDN_HANDLER(get_me);
IDN_HANDLER(get_user);
IDN_HANDLER(find_user_by_email);
IDN_HANDLER(list_sessions);
IDN_HANDLER(revoke_session);
IDN_HANDLER(list_activity);
IDN_HANDLER(set_pin);
IDN_HANDLER(change_pin);
IDN_HANDLER(verify_pin);
IDN_HANDLER(reset_pin);
IDN_HANDLER(get_signing_keys);
IDN_HANDLER(submit_kyc);
IDN_HANDLER(get_kyc);
IDN_HANDLER(read_kyc_number);
IDN_HANDLER(release_kyc_number);

/* The KYC worker (handlers_kyc.c): reads pending identity checks back
 * from payments every KOLO_KYC_POLL_MS; started only when KYC is
 * configured. One pass is exposed for tests. */
KOLO_MUST_CHECK int idn_kyc_worker_start(void);
void idn_kyc_worker_stop(void);
void idn_kyc_worker_pass(void);
IDN_HANDLER(list_session_revocations);
IDN_HANDLER(get_user_contacts);
IDN_HANDLER(verify_email);
IDN_HANDLER(send_email_code);
IDN_HANDLER(set_phone);
IDN_HANDLER(verify_phone);
IDN_HANDLER(remove_phone);

/* The rpc_session_check of identity's RPC_AUTH_LIVE methods: asks
 * identity's own table, so a logout takes effect at once. */
int idn_session_check(const auth_claims *claims);

#endif

#ifndef KOLO_IDN_HANDLERS_INTERNAL
#define KOLO_IDN_HANDLERS_INTERNAL
/* Shared by the handler files. */
#include "db/db.h"
#include "idem/idem.h"
#include "svc/call.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "identity.h"
#include "store.h"

/* Where a call comes from (sanitised, in the arena): for the activity log
 * the first x-forwarded-for hop ("" when none) and the user-agent; addr is
 * the address the per-address throttles count: that hop, or the gRPC peer
 * when there is none. */
typedef struct idn_client {
	const char *ip;
	const char *device;
	const char *addr;
} idn_client;

void idn_client_of(idn_client *out, rpc_ctx *ctx);

/* The throttles one call is held to (throttle.h), at most IDN_GUARDS_MAX;
 * fill with idn_guard_add(), then idn_guards_take() before any argon2id
 * hash, and idn_guards_settle() in the transaction of a call that turned
 * out right. */
#define IDN_GUARDS_MAX 2

typedef struct idn_guard {
	idn_limit_kind kind;
	char key_hash[IDN_TOKEN_HASH_TEXT];
	const char *user_id; /* told of a lockout in the activity log, or NULL */
	idn_throttle row;
	idn_throttle_verdict verdict;
} idn_guard;

typedef struct idn_guards {
	idn_guard g[IDN_GUARDS_MAX];
	int n;
	const idn_client *client;
	int64_t wait_s; /* > 0 after take: refused for this long */
} idn_guards;

/* Adds a throttle of kind for key (an address goes through
 * idn_addr_key()); user_id (may be NULL) is the account whose activity
 * log records a lockout. */
void idn_guard_add(idn_guards *gs, idn_limit_kind kind, const char *key,
		   const char *user_id);

/* Charges the call to every throttle in one transaction, or refuses it:
 * then nothing is charged, a throttle that locks now is recorded (and
 * logged for its user), and the result is RESOURCE_EXHAUSTED
 * "rate_limited" with the wait in the message and the retry hint. */
KOLO_MUST_CHECK int idn_guards_take(rpc_ctx *ctx, db_conn *c, idn_guards *gs);

/* Inside the transaction of a call that turned out right: gives the
 * attempt back (idn_throttle_settle()). */
KOLO_MUST_CHECK int idn_guards_settle(db_conn *c, idn_guards *gs);

/* The service clock: Unix microseconds from CLOCK_REALTIME (tests wrap
 * clock_gettime to move it). */
int64_t idn_now_us(void);

#define IDN_US(seconds) ((int64_t)(seconds) * 1000000)

/* The calling thread's database connection. */
KOLO_MUST_CHECK int idn_db(db_conn **out);

/* A User message for u, in the arena; own: u is the caller (the phone is
 * only in the user's own replies). */
Kolo__Identity__V1__User *idn_user_message(rpc_ctx *ctx, const idn_user *u, int own);

/* In a transaction that holds the user's row lock: a new code of ch for
 * user_id at address (the row and the event with the code:
 * user.email_code {email, code, expires_at} or user.phone_code {phone,
 * code, expires_at}). *expires_at (RFC 3339, in the arena) may be NULL. */
KOLO_MUST_CHECK int idn_code_issue(db_conn *c, mem_arena *a, const char *user_id,
				   idn_code_channel ch, const char *address,
				   char **expires_at);

/* Login's part: in its transaction, sends user_id a code when the email
 * is not verified, no live code waits and the limits allow; *sent 1 then. */
KOLO_MUST_CHECK int idn_email_code_on_login(db_conn *c, mem_arena *a, const char *user_id,
					    int *sent);

/* Wipes a secret field of a request in place (NULL is fine). */
void idn_wipe(char *secret);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
IDN_HANDLER(read_outbox);
IDN_HANDLER(ack_outbox);

#endif
