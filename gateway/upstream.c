/* Channels to the six services and calls made for an HTTP caller. */
#include "gw.h"

#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "auth/auth.h"
#include "svc/peers.h"
#include "text/text.h"

/* The row of the peers table (svc/peers.h) of each upstream. */
static const svc_peer gw_upstream_peers[GW_N_UPSTREAMS] = {
	[GW_IDENTITY] = SVC_PEER_IDENTITY, [GW_GROUPS] = SVC_PEER_GROUPS,
	[GW_LEDGER] = SVC_PEER_LEDGER,	   [GW_WITHDRAWALS] = SVC_PEER_WITHDRAWALS,
	[GW_PAYMENTS] = SVC_PEER_PAYMENTS, [GW_EVENTS] = SVC_PEER_EVENTS,
};

static const svc_peer_def *
gw_upstream_def(gw_upstream up)
{
	return svc_peer_def_of(gw_upstream_peers[up]);
}

static rpc_channel *gw_channels[GW_N_UPSTREAMS];
static rpc_channel *gw_health_channels[GW_N_UPSTREAMS];
static int64_t gw_timeout_ms;
static char *gw_internal_token;

int
gw_upstreams_open(int64_t timeout_ms, const char *internal_token, const rpc_client_tls *tls)
{
	gw_timeout_ms = timeout_ms;
	gw_internal_token = xstrdup(internal_token);
	for (int i = 0; i < GW_N_UPSTREAMS; i++) {
		const char *addr = NULL;

		if (svc_peer_addr(&addr, gw_upstream_peers[i]) < 0 ||
		    rpc_channel_open(&gw_channels[i], addr, gw_upstream_def(i)->service, tls) < 0 ||
		    rpc_channel_open(&gw_health_channels[i], addr,
				     &grpc__health__v1__health__descriptor, tls) < 0)
			return -1;
	}
	return 0;
}

void
gw_upstreams_close(void)
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

const ProtobufCServiceDescriptor *
gw_upstream_descriptor(gw_upstream up)
{
	return gw_upstream_def(up)->service;
}

const char *
gw_upstream_name(gw_upstream up)
{
	return gw_upstream_def(up)->name;
}

/* The metadata of a call made for req (values in req's arena). An
 * internal call (public pages, webhooks) speaks for nobody: it carries the
 * gateway's credential alone, which the caller table allows only the
 * reads of public pages and HandleWebhook. */
int
gw_has_user_token(const gw_request *req)
{
	const char *token;

	return auth_bearer_token(&token, req->authorization) == 0 &&
	       text_is_clean(req->authorization);
}

void
gw_reply_no_user_token(const gw_request *req, gw_response *resp)
{
	const char *token;

	if (auth_bearer_token(&token, req->authorization) == 0)
		err_set(ERR_UNAUTHENTICATED, "invalid_token", "the access token is not valid");
	gw_reply_err_last(resp);
}

static size_t
gw_call_metadata(rpc_metadata *md, gw_request *req, int internal, char tp[TRACE_PARENT_LEN + 1])
{
	size_t n = 0;

	/* An internal call speaks for no user: the caller's own token would
	 * make the services check that user. */
	if (!internal && gw_has_user_token(req))
		md[n++] = (rpc_metadata){"authorization", req->authorization};
	/* Always who we are: the services trust the forwarded address and
	 * agent below only from the gateway's own token. */
	md[n++] = (rpc_metadata){RPC_CALLER_KEY, "gateway"};
	md[n++] = (rpc_metadata){RPC_INTERNAL_TOKEN_KEY, gw_internal_token};
	if (req->client_ip && req->client_ip[0])
		md[n++] = (rpc_metadata){"x-forwarded-for", req->client_ip};
	if (req->user_agent && req->user_agent[0])
		md[n++] = (rpc_metadata){"x-user-agent", req->user_agent};
	md[n++] = (rpc_metadata){RPC_REQUEST_ID_KEY, req->trace.request_id};
	/* The gateway's own span is the services' parent. */
	trace_format_traceparent(&req->trace, tp);
	md[n++] = (rpc_metadata){RPC_TRACEPARENT_KEY, tp};
	if (req->trace.tracestate[0])
		md[n++] = (rpc_metadata){RPC_TRACESTATE_KEY, req->trace.tracestate};
	return n;
}

/* Records 503 service_unavailable for a service that cannot be reached,
 * with a hint to come back (Retry-After). */
static int
gw_upstream_unavailable(gw_upstream up)
{
	err_set(ERR_UNAVAILABLE, "service_unavailable",
		"the %s service is unavailable; try again shortly", gw_upstream_def(up)->name);
	return err_set_retry_after(GW_UNAVAILABLE_RETRY_S);
}

/* 1 when a failed call never reached the service: UNAVAILABLE without a
 * reason of the service's own (kolo-error), i.e. from the transport. */
static int
gw_unreached(int rc)
{
	return rc == ERR_UNAVAILABLE &&
	       strcmp(err_last()->reason, err_default_reason(ERR_UNAVAILABLE)) == 0;
}

int
gw_call(gw_request *req, gw_upstream up, const char *rpc, const ProtobufCMessage *in,
	ProtobufCMessage **out, int internal)
{
	rpc_metadata md[8];
	char tp[TRACE_PARENT_LEN + 1];
	ProtobufCAllocator alloc = mem_arena_allocator(req->arena);
	rpc_call_opts opts = {.timeout_ms = gw_timeout_ms, .metadata = md};
	int rc;

	opts.n_metadata = gw_call_metadata(md, req, internal, tp);
	/* A service that is down answers at once, not after the timeout;
	 * the other services' routes go on (partial availability). */
	if (rpc_channel_down(gw_channels[up]))
		rc = gw_upstream_unavailable(up);
	else
		rc = rpc_call(gw_channels[up], rpc, in, out, &alloc, &opts);
	if (gw_unreached(rc))
		rc = gw_upstream_unavailable(up);
	if (rc < 0)
		gw_metrics_upstream_error(up, err_to_grpc((err_code)rc));
	return rc;
}

int
gw_upstream_serving(gw_upstream up, int64_t timeout_ms)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	mem_arena *arena = mem_arena_new(0);
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	ProtobufCMessage *resp = NULL;
	rpc_call_opts opts = {.timeout_ms = timeout_ms};
	int serving = 0;

	if (!rpc_channel_down(gw_health_channels[up]) &&
	    rpc_call(gw_health_channels[up], "Check", &req.base, &resp, &alloc, &opts) == 0)
		serving = ((Grpc__Health__V1__HealthCheckResponse *)resp)->status ==
			  GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	mem_arena_free(arena);
	return serving;
}
