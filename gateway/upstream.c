/* Channels to the six services and calls made for an HTTP caller. */
#include "gw.h"

#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "auth/auth.h"
#include "text/text.h"

typedef struct gw_upstream_def {
	const char *name;
	const char *addr_env;
	const char *default_addr;
	const ProtobufCServiceDescriptor *descriptor;
} gw_upstream_def;

static const gw_upstream_def gw_upstream_defs[GW_N_UPSTREAMS] = {
	{ "identity", "KOLO_IDENTITY_ADDR", "127.0.0.1:7101",
	  &kolo__identity__v1__identity_service__descriptor },
	{ "groups", "KOLO_GROUPS_ADDR", "127.0.0.1:7102",
	  &kolo__groups__v1__groups_service__descriptor },
	{ "ledger", "KOLO_LEDGER_ADDR", "127.0.0.1:7103",
	  &kolo__ledger__v1__ledger_service__descriptor },
	{ "withdrawals", "KOLO_WITHDRAWALS_ADDR", "127.0.0.1:7104",
	  &kolo__withdrawals__v1__withdrawals_service__descriptor },
	{ "payments", "KOLO_PAYMENTS_ADDR", "127.0.0.1:7105",
	  &kolo__payments__v1__payments_service__descriptor },
	{ "events", "KOLO_EVENTS_ADDR", "127.0.0.1:7106",
	  &kolo__events__v1__events_service__descriptor },
};

static rpc_channel *gw_channels[GW_N_UPSTREAMS];
static rpc_channel *gw_health_channels[GW_N_UPSTREAMS];
static int64_t gw_timeout_ms;
static char *gw_internal_token;

static const char *gw_upstream_addr(gw_upstream up)
{
	const char *addr = getenv(gw_upstream_defs[up].addr_env);

	return addr && addr[0] ? addr : gw_upstream_defs[up].default_addr;
}

int gw_upstreams_open(int64_t timeout_ms, const char *internal_token,
		      const rpc_client_tls *tls)
{
	gw_timeout_ms = timeout_ms;
	gw_internal_token = xstrdup(internal_token);
	for (int i = 0; i < GW_N_UPSTREAMS; i++) {
		if (rpc_channel_open(&gw_channels[i], gw_upstream_addr(i),
				     gw_upstream_defs[i].descriptor, tls) < 0 ||
		    rpc_channel_open(&gw_health_channels[i], gw_upstream_addr(i),
				     &grpc__health__v1__health__descriptor, tls) < 0)
			return -1;
	}
	return 0;
}

void gw_upstreams_close(void)
{
	for (int i = 0; i < GW_N_UPSTREAMS; i++) {
		rpc_channel_close(gw_channels[i]);
		rpc_channel_close(gw_health_channels[i]);
		gw_channels[i] = NULL;
		gw_health_channels[i] = NULL;
	}
	free(gw_internal_token);
	gw_internal_token = NULL;
}

const ProtobufCServiceDescriptor *gw_upstream_descriptor(gw_upstream up)
{
	return gw_upstream_defs[up].descriptor;
}

const char *gw_upstream_name(gw_upstream up)
{
	return gw_upstream_defs[up].name;
}

/* The metadata of a call made for req (values in req's arena). An
 * internal call (public pages, webhooks) speaks for nobody: it carries the
 * gateway's credential alone, which the caller table allows only the
 * reads of public pages and HandleWebhook. */
int gw_has_user_token(const gw_request *req)
{
	const char *token;

	return auth_bearer_token(&token, req->authorization) == 0 &&
	       text_is_clean(req->authorization);
}

void gw_reply_no_user_token(const gw_request *req, gw_response *resp)
{
	const char *token;

	if (auth_bearer_token(&token, req->authorization) == 0)
		err_set(ERR_UNAUTHENTICATED, "invalid_token",
			"the access token is not valid");
	gw_reply_err_last(resp);
}

static size_t gw_call_metadata(rpc_metadata *md, gw_request *req, int internal)
{
	size_t n = 0;

	/* An internal call speaks for no user: the caller's own token would
	 * make the services check that user. */
	if (!internal && gw_has_user_token(req))
		md[n++] = (rpc_metadata){ "authorization", req->authorization };
	/* Always who we are: the services trust the forwarded address and
	 * agent below only from the gateway's own token. */
	md[n++] = (rpc_metadata){ RPC_CALLER_KEY, "gateway" };
	md[n++] = (rpc_metadata){ RPC_INTERNAL_TOKEN_KEY, gw_internal_token };
	if (req->client_ip && req->client_ip[0])
		md[n++] = (rpc_metadata){ "x-forwarded-for", req->client_ip };
	if (req->user_agent && req->user_agent[0])
		md[n++] = (rpc_metadata){ "x-user-agent", req->user_agent };
	md[n++] = (rpc_metadata){ "x-request-id", req->request_id };
	return n;
}

int gw_call(gw_request *req, gw_upstream up, const char *rpc,
	    const ProtobufCMessage *in, ProtobufCMessage **out, int internal)
{
	rpc_metadata md[6];
	ProtobufCAllocator alloc = mem_arena_allocator(req->arena);
	rpc_call_opts opts = { .timeout_ms = gw_timeout_ms, .metadata = md };
	int rc;

	opts.n_metadata = gw_call_metadata(md, req, internal);
	rc = rpc_call(gw_channels[up], rpc, in, out, &alloc, &opts);
	if (rc < 0)
		gw_metrics_upstream_error(up, err_to_grpc((err_code)rc));
	return rc;
}

int gw_upstream_serving(gw_upstream up, int64_t timeout_ms)
{
	Grpc__Health__V1__HealthCheckRequest req =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = { .timeout_ms = timeout_ms };
	int serving = 0;

	if (rpc_call(gw_health_channels[up], "Check", &req.base, &resp, &alloc,
		     &opts) == 0)
		serving = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
			  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	mem_arena_free(arena);
	return serving;
}
