/* /healthz, /readyz and /openapi.yaml (embedded at build time). */
#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GW_READY_TIMEOUT_MS 1000

void
gw_healthz_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	(void)route;
	(void)req;
	gw_reply_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

/* The gateway's readiness from how many of its services serve: "ready"
 * (all), "degraded" (some: the routes of the others answer 503
 * service_unavailable) or "not_ready" (none: it can serve nothing). */
const char *
gw_readiness(int n_serving, int n_services)
{
	if (n_serving == n_services)
		return "ready";
	return n_serving > 0 ? "degraded" : "not_ready";
}

/* /readyz: ready is the gateway itself serving (config loaded, listening:
 * it answers) and at least one service up; one service down does not take
 * the gateway out of its load balancer (docs/decisions.md); the body
 * says which. */
void
gw_readyz_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	json_t *services = json_object();
	const char *status;
	int n_serving = 0;

	(void)route;
	(void)req;
	for (int i = 0; i < GW_N_UPSTREAMS; i++) {
		int serving = gw_upstream_serving((gw_upstream)i, GW_READY_TIMEOUT_MS);

		n_serving += serving;
		json_object_set_new(services, gw_upstream_name((gw_upstream)i),
				    json_string(serving ? "SERVING" : "NOT_SERVING"));
	}
	status = gw_readiness(n_serving, GW_N_UPSTREAMS);
	gw_reply_json(resp, n_serving > 0 ? 200 : 503,
		      json_pack("{s:s, s:o}", "status", status, "services", services));
}

void
gw_openapi_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	(void)route;
	(void)req;
	resp->status = 200;
	resp->body = xmalloc(gw_openapi_yaml_len + 1);
	memcpy(resp->body, gw_openapi_yaml, gw_openapi_yaml_len);
	resp->body_len = gw_openapi_yaml_len;
	resp->content_type = "application/yaml";
	resp->cache_control = "public, max-age=300";
}
