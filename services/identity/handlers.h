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

#endif

#ifndef KOLO_IDN_HANDLERS_INTERNAL
#define KOLO_IDN_HANDLERS_INTERNAL
/* Shared by the handler files. */
#include "db/db.h"
#include "svc/call.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "store.h"

/* Where a call comes from, for the activity log (sanitised, in the
 * arena): the first x-forwarded-for hop and the user-agent. */
typedef struct idn_client {
	const char *ip;
	const char *device;
} idn_client;

void idn_client_of(idn_client *out, rpc_ctx *ctx);

/* The service clock: Unix microseconds from CLOCK_REALTIME (tests wrap
 * clock_gettime to move it). */
int64_t idn_now_us(void);

#define IDN_US(seconds) ((int64_t)(seconds) * 1000000)

/* The calling thread's database connection. */
KOLO_MUST_CHECK int idn_db(db_conn **out);

/* A User message for u, in the arena. */
Kolo__Identity__V1__User *idn_user_message(rpc_ctx *ctx, const idn_user *u);

/* Wipes a secret field of a request in place (NULL is fine). */
void idn_wipe(char *secret);

#endif
