#include "handlers.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "identity.h"
#include "text/text.h"

void idn_client_of(idn_client *out, rpc_ctx *ctx)
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

int64_t idn_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

Kolo__Identity__V1__User *idn_user_message(rpc_ctx *ctx, const idn_user *u, int own)
{
	Kolo__Identity__V1__User *m =
		mem_arena_alloc(rpc_ctx_arena(ctx), sizeof(*m));

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

void idn_wipe(char *secret)
{
	if (secret)
		sodium_memzero(secret, strlen(secret));
}

