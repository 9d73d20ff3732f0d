#include "handlers.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "identity.h"
#include "text/text.h"
#include "identity_service.h"
#include "kolo/identity/v1/identity.pb-c.h"

void
idn_client_of(idn_client *out, rpc_ctx *ctx)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	/* Only the gateway (its caller token) speaks for an end user's address
	 * and device; anyone else is described by its own connection. */
	const char *forwarded = rpc_ctx_forwarded(ctx, "x-forwarded-for");
	/* The gRPC core puts its own user-agent on every call, so the gateway
	 * forwards the end user's in x-user-agent; direct gRPC callers are
	 * described by their own user-agent. */
	const char *agent = rpc_ctx_forwarded(ctx, "x-user-agent");
	char *ip = text_sanitize(a, forwarded ? forwarded : rpc_ctx_peer(ctx), IDN_IP_MAX);
	char *comma = ip ? strchr(ip, ',') : NULL;

	if (comma)
		*comma = '\0';
	out->ip = ip ? text_trim(a, ip) : "";
	if (!agent)
		agent = rpc_ctx_metadata(ctx, "user-agent");
	out->device = text_sanitize(a, agent, IDN_DEVICE_MAX);
	if (!out->ip)
		out->ip = "";
	if (!out->device)
		out->device = "";
	out->addr = out->ip[0] ? out->ip : rpc_ctx_peer(ctx);
	if (!out->addr)
		out->addr = "";
}

int64_t
idn_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

Kolo__Identity__V1__User *
idn_user_message(rpc_ctx *ctx, const idn_user *u, int own)
{
	Kolo__Identity__V1__User *m = mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*m));

	if (!m)
		return NULL;
	kolo__identity__v1__user__init(m);
	m->id = u->id;
	m->email = u->email;
	m->name = u->name;
	m->created_at = u->created_at;
	m->has_pin = u->has_pin;
	m->email_verified = u->email_verified;
	m->kyc_verified = u->kyc_verified;
	if (own) {
		m->phone = u->phone;
		m->phone_verified = u->phone_verified;
	}
	return m;
}

void
idn_wipe(char *secret)
{
	if (secret)
		sodium_memzero(secret, strlen(secret));
}

/* --- the method table: every IdentityService RPC with its handler and who may call it.
 * RPC_AUTH_LIVE: credential acts, refused to a token whose session ended
 * (identity asks its own table, idn_session_check). */
static const rpc_method idn_methods[] = {
	RPC_METHOD(Kolo__Identity__V1__, Register, idn_register, RPC_AUTH_NONE),
	RPC_METHOD(Kolo__Identity__V1__, Login, idn_login, RPC_AUTH_NONE),
	RPC_METHOD(Kolo__Identity__V1__, Refresh, idn_refresh, RPC_AUTH_NONE),
	RPC_METHOD(Kolo__Identity__V1__, Logout, idn_logout, RPC_AUTH_NONE),
	RPC_METHOD(Kolo__Identity__V1__, GetMe, idn_get_me, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Identity__V1__, GetUser, idn_get_user, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, FindUserByEmail, idn_find_user_by_email,
		   RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, ListSessions, idn_list_sessions, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Identity__V1__, RevokeSession, idn_revoke_session,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, ListActivity, idn_list_activity, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Identity__V1__, SetPin, idn_set_pin, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, ChangePin, idn_change_pin, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, VerifyPin, idn_verify_pin,
		   RPC_AUTH_USER | RPC_AUTH_LIVE | RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, ResetPin, idn_reset_pin, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, GetSigningKeys, idn_get_signing_keys, RPC_AUTH_NONE),
	RPC_METHOD(Kolo__Identity__V1__, SubmitKyc, idn_submit_kyc, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, GetKyc, idn_get_kyc, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Identity__V1__, ReadKycNumber, idn_read_kyc_number, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, ReleaseKycNumber, idn_release_kyc_number,
		   RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, ListSessionRevocations, idn_list_session_revocations,
		   RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, ReadOutbox, idn_read_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, AckOutbox, idn_ack_outbox, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, GetUserContacts, idn_get_user_contacts, RPC_AUTH_INTERNAL),
	RPC_METHOD(Kolo__Identity__V1__, VerifyEmail, idn_verify_email,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, SendEmailCode, idn_send_email_code,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, SetPhone, idn_set_phone, RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, VerifyPhone, idn_verify_phone,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
	RPC_METHOD(Kolo__Identity__V1__, RemovePhone, idn_remove_phone,
		   RPC_AUTH_USER | RPC_AUTH_LIVE),
};

const rpc_service idn_rpc_service = {
	.descriptor = &kolo__identity__v1__identity_service__descriptor,
	.methods = idn_methods,
	.n_methods = sizeof(idn_methods) / sizeof(idn_methods[0]),
	.session_check = idn_session_check,
};
