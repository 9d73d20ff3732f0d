/* handlers: one function per IdentityService RPC (the method table is at the foot of handlers.c).
 */
#ifndef KOLO_IDN_HANDLERS_H
#define KOLO_IDN_HANDLERS_H

#include "rpc/rpc.h"
#include "kolo/identity/v1/identity.pb-c.h"

int idn_register(rpc_ctx *ctx, const Kolo__Identity__V1__RegisterRequest *in,
		 Kolo__Identity__V1__RegisterResponse *out);
int idn_login(rpc_ctx *ctx, const Kolo__Identity__V1__LoginRequest *in,
	      Kolo__Identity__V1__LoginResponse *out);
int idn_refresh(rpc_ctx *ctx, const Kolo__Identity__V1__RefreshRequest *in,
		Kolo__Identity__V1__RefreshResponse *out);
int idn_logout(rpc_ctx *ctx, const Kolo__Identity__V1__LogoutRequest *in,
	       Kolo__Identity__V1__LogoutResponse *out);
int idn_get_me(rpc_ctx *ctx, const Kolo__Identity__V1__GetMeRequest *in,
	       Kolo__Identity__V1__GetMeResponse *out);
int idn_get_user(rpc_ctx *ctx, const Kolo__Identity__V1__GetUserRequest *in,
		 Kolo__Identity__V1__GetUserResponse *out);
int idn_find_user_by_email(rpc_ctx *ctx, const Kolo__Identity__V1__FindUserByEmailRequest *in,
			   Kolo__Identity__V1__FindUserByEmailResponse *out);
int idn_list_sessions(rpc_ctx *ctx, const Kolo__Identity__V1__ListSessionsRequest *in,
		      Kolo__Identity__V1__ListSessionsResponse *out);
int idn_revoke_session(rpc_ctx *ctx, const Kolo__Identity__V1__RevokeSessionRequest *in,
		       Kolo__Identity__V1__RevokeSessionResponse *out);
int idn_list_activity(rpc_ctx *ctx, const Kolo__Identity__V1__ListActivityRequest *in,
		      Kolo__Identity__V1__ListActivityResponse *out);
int idn_set_pin(rpc_ctx *ctx, const Kolo__Identity__V1__SetPinRequest *in,
		Kolo__Identity__V1__SetPinResponse *out);
int idn_change_pin(rpc_ctx *ctx, const Kolo__Identity__V1__ChangePinRequest *in,
		   Kolo__Identity__V1__ChangePinResponse *out);
int idn_verify_pin(rpc_ctx *ctx, const Kolo__Identity__V1__VerifyPinRequest *in,
		   Kolo__Identity__V1__VerifyPinResponse *out);
int idn_reset_pin(rpc_ctx *ctx, const Kolo__Identity__V1__ResetPinRequest *in,
		  Kolo__Identity__V1__ResetPinResponse *out);
int idn_get_signing_keys(rpc_ctx *ctx, const Kolo__Identity__V1__GetSigningKeysRequest *in,
			 Kolo__Identity__V1__GetSigningKeysResponse *out);
int idn_submit_kyc(rpc_ctx *ctx, const Kolo__Identity__V1__SubmitKycRequest *in,
		   Kolo__Identity__V1__SubmitKycResponse *out);
int idn_get_kyc(rpc_ctx *ctx, const Kolo__Identity__V1__GetKycRequest *in,
		Kolo__Identity__V1__GetKycResponse *out);
int idn_read_kyc_number(rpc_ctx *ctx, const Kolo__Identity__V1__ReadKycNumberRequest *in,
			Kolo__Identity__V1__ReadKycNumberResponse *out);
int idn_release_kyc_number(rpc_ctx *ctx, const Kolo__Identity__V1__ReleaseKycNumberRequest *in,
			   Kolo__Identity__V1__ReleaseKycNumberResponse *out);

/* The KYC worker (handlers_kyc.c): reads pending identity checks back
 * from payments every KOLO_KYC_POLL_MS; started only when KYC is
 * configured. One pass is exposed for tests. */
KOLO_MUST_CHECK int idn_kyc_worker_start(void);
void idn_kyc_worker_stop(void);
void idn_kyc_worker_pass(void);
int idn_list_session_revocations(rpc_ctx *ctx,
				 const Kolo__Identity__V1__ListSessionRevocationsRequest *in,
				 Kolo__Identity__V1__ListSessionRevocationsResponse *out);
int idn_get_user_contacts(rpc_ctx *ctx, const Kolo__Identity__V1__GetUserContactsRequest *in,
			  Kolo__Identity__V1__GetUserContactsResponse *out);
int idn_verify_email(rpc_ctx *ctx, const Kolo__Identity__V1__VerifyEmailRequest *in,
		     Kolo__Identity__V1__VerifyEmailResponse *out);
int idn_send_email_code(rpc_ctx *ctx, const Kolo__Identity__V1__SendEmailCodeRequest *in,
			Kolo__Identity__V1__SendEmailCodeResponse *out);
int idn_set_phone(rpc_ctx *ctx, const Kolo__Identity__V1__SetPhoneRequest *in,
		  Kolo__Identity__V1__SetPhoneResponse *out);
int idn_verify_phone(rpc_ctx *ctx, const Kolo__Identity__V1__VerifyPhoneRequest *in,
		     Kolo__Identity__V1__VerifyPhoneResponse *out);
int idn_remove_phone(rpc_ctx *ctx, const Kolo__Identity__V1__RemovePhoneRequest *in,
		     Kolo__Identity__V1__RemovePhoneResponse *out);

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
void idn_guard_add(idn_guards *gs, idn_limit_kind kind, const char *key, const char *user_id);

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

#define IDN_US(seconds) ((int64_t)(seconds)*1000000)

/* A User message for u, in the arena; own: u is the caller (the phone is
 * only in the user's own replies). */
Kolo__Identity__V1__User *idn_user_message(rpc_ctx *ctx, const idn_user *u, int own);

/* In a transaction that holds the user's row lock: a new code of ch for
 * user_id at address (the row and the event with the code:
 * user.email_code {email, code, expires_at} or user.phone_code {phone,
 * code, expires_at}). *expires_at (RFC 3339, in the arena) may be NULL. */
KOLO_MUST_CHECK int idn_code_issue(db_conn *c, mem_arena *a, const char *user_id,
				   idn_code_channel ch, const char *address, char **expires_at);

/* Login's part: in its transaction, sends user_id a code when the email
 * is not verified, no live code waits and the limits allow; *sent 1 then. */
KOLO_MUST_CHECK int idn_email_code_on_login(db_conn *c, mem_arena *a, const char *user_id,
					    int *sent);

/* Wipes a secret field of a request in place (NULL is fine). */
void idn_wipe(char *secret);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
int idn_read_outbox(rpc_ctx *ctx, const Kolo__Identity__V1__ReadOutboxRequest *in,
		    Kolo__Identity__V1__ReadOutboxResponse *out);
int idn_ack_outbox(rpc_ctx *ctx, const Kolo__Identity__V1__AckOutboxRequest *in,
		   Kolo__Identity__V1__AckOutboxResponse *out);

#endif
