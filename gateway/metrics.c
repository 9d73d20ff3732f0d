/* Prometheus metrics: requests by route and status, latency histograms,
 * upstream errors by service and gRPC code. Lock-free counters. */
#include "gw.h"
#include "metrics/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define GW_ROUTE_SLOTS (GW_MAX_ROUTES + 1) /* the last: no route matched */

static const int gw_statuses[] = {200, 201, 204, 400, 401, 403, 404, 405,
				  409, 413, 422, 429, 500, 501, 503, 0};
#define GW_N_STATUSES (sizeof(gw_statuses) / sizeof(gw_statuses[0]))

static const int64_t gw_buckets_us[] = {1000,	2500,	5000,	10000,	 25000,	  50000,
					100000, 250000, 500000, 1000000, 2500000, 5000000};
#define GW_N_BUCKETS (sizeof(gw_buckets_us) / sizeof(gw_buckets_us[0]))

/* One upstream error counter's line: service, gRPC code name, count. */
#define GW_UPSTREAM_ERRORS_LINE                                                                    \
	"kolo_gateway_upstream_errors_total{service=\"%s\",code=\"%s\"} %lu\n"

static atomic_ulong gw_requests[GW_ROUTE_SLOTS][GW_N_STATUSES];
static atomic_ulong gw_latency[GW_ROUTE_SLOTS][GW_N_BUCKETS + 1];
static atomic_ullong gw_latency_sum_us[GW_ROUTE_SLOTS];
static atomic_ulong gw_upstream_errors[GW_N_UPSTREAMS][17];
static atomic_ulong gw_webhook_refused[GW_N_WEBHOOK_REFUSALS];
static const char *const gw_webhook_reasons[GW_N_WEBHOOK_REFUSALS] = {
	[GW_WEBHOOK_BAD_SIGNATURE] = "bad_signature",
	[GW_WEBHOOK_RATE_LIMITED] = "rate_limited",
	[GW_WEBHOOK_ADDRESS_NOT_ALLOWED] = "address_not_allowed",
	[GW_WEBHOOK_OTHER] = "other",
};

static size_t
gw_route_slot(int route_index)
{
	return route_index >= 0 && route_index < GW_MAX_ROUTES ? (size_t)route_index
							       : GW_MAX_ROUTES;
}

static size_t
gw_status_slot(int status)
{
	for (size_t i = 0; i + 1 < GW_N_STATUSES; i++) {
		if (gw_statuses[i] == status)
			return i;
	}
	return GW_N_STATUSES - 1;
}

void
gw_metrics_request(int route_index, int status, int64_t micros)
{
	size_t r = gw_route_slot(route_index), b = 0;

	atomic_fetch_add(&gw_requests[r][gw_status_slot(status)], 1);
	while (b < GW_N_BUCKETS && micros > gw_buckets_us[b])
		b++;
	atomic_fetch_add(&gw_latency[r][b], 1);
	atomic_fetch_add(&gw_latency_sum_us[r], (unsigned long long)(micros > 0 ? micros : 0));
}

void
gw_metrics_upstream_error(gw_upstream up, int grpc_status)
{
	if (grpc_status > 0 && grpc_status < 17)
		atomic_fetch_add(&gw_upstream_errors[up][grpc_status], 1);
}

void
gw_metrics_webhook_refused(gw_webhook_refusal why)
{
	if (why >= 0 && why < GW_N_WEBHOOK_REFUSALS)
		atomic_fetch_add(&gw_webhook_refused[why], 1);
}

static void
gw_route_labels(char *out, size_t cap, size_t slot)
{
	if (slot < gw_n_routes && slot < GW_MAX_ROUTES)
		snprintf(out, cap, "route=\"%s\",method=\"%s\"", gw_routes[slot].pattern,
			 gw_routes[slot].method);
	else
		snprintf(out, cap, "route=\"unmatched\",method=\"\"");
}

static void
gw_write_requests(FILE *f)
{
	char labels[256];

	fputs("# HELP kolo_gateway_requests_total HTTP requests by route and status.\n"
	      "# TYPE kolo_gateway_requests_total counter\n",
	      f);
	for (size_t r = 0; r < GW_ROUTE_SLOTS; r++) {
		gw_route_labels(labels, sizeof(labels), r);
		for (size_t s = 0; s < GW_N_STATUSES; s++) {
			unsigned long n = atomic_load(&gw_requests[r][s]);

			if (n == 0)
				continue;
			if (gw_statuses[s])
				fprintf(f, "kolo_gateway_requests_total{%s,status=\"%d\"} %lu\n",
					labels, gw_statuses[s], n);
			else
				fprintf(f, "kolo_gateway_requests_total{%s,status=\"other\"} %lu\n",
					labels, n);
		}
	}
}

static void
gw_write_latency(FILE *f)
{
	char labels[256];

	fputs("# HELP kolo_gateway_request_duration_seconds Time to answer a request.\n"
	      "# TYPE kolo_gateway_request_duration_seconds histogram\n",
	      f);
	for (size_t r = 0; r < GW_ROUTE_SLOTS; r++) {
		unsigned long cumulative = 0;

		if (atomic_load(&gw_latency_sum_us[r]) == 0 && atomic_load(&gw_latency[r][0]) == 0)
			continue;
		gw_route_labels(labels, sizeof(labels), r);
		for (size_t b = 0; b <= GW_N_BUCKETS; b++) {
			cumulative += atomic_load(&gw_latency[r][b]);
			if (b < GW_N_BUCKETS)
				fprintf(f,
					"kolo_gateway_request_duration_seconds_bucket{%s,le=\"%g\"}"
					" %lu\n",
					labels, (double)gw_buckets_us[b] / 1e6, cumulative);
			else
				fprintf(f,
					"kolo_gateway_request_duration_seconds_bucket{%s,le=\"+"
					"Inf\"} %lu\n",
					labels, cumulative);
		}
		fprintf(f, "kolo_gateway_request_duration_seconds_sum{%s} %.6f\n", labels,
			(double)atomic_load(&gw_latency_sum_us[r]) / 1e6);
		fprintf(f, "kolo_gateway_request_duration_seconds_count{%s} %lu\n", labels,
			cumulative);
	}
}

static void
gw_write_upstreams(FILE *f)
{
	fputs("# HELP kolo_gateway_upstream_errors_total Failed calls to services by gRPC code.\n"
	      "# TYPE kolo_gateway_upstream_errors_total counter\n",
	      f);
	for (int u = 0; u < GW_N_UPSTREAMS; u++) {
		for (int c = 1; c < 17; c++) {
			unsigned long n = atomic_load(&gw_upstream_errors[u][c]);

			if (n)
				fprintf(f, GW_UPSTREAM_ERRORS_LINE,
					gw_upstream_name((gw_upstream)u), rpc_code_name(c), n);
		}
	}
}

static void
gw_write_webhooks(FILE *f)
{
	fputs("# HELP kolo_gateway_webhook_refused_total Provider webhook deliveries refused, by "
	      "reason.\n"
	      "# TYPE kolo_gateway_webhook_refused_total counter\n",
	      f);
	for (int r = 0; r < GW_N_WEBHOOK_REFUSALS; r++)
		fprintf(f, "kolo_gateway_webhook_refused_total{reason=\"%s\"} %lu\n",
			gw_webhook_reasons[r], atomic_load(&gw_webhook_refused[r]));
}

void
gw_metrics_route(const gw_route *route, gw_request *req, gw_response *resp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)route;
	(void)req;
	if (!f) {
		gw_reply_error(resp, 500, "internal", "metrics unavailable");
		return;
	}
	gw_write_requests(f);
	gw_write_latency(f);
	gw_write_upstreams(f);
	gw_write_webhooks(f);
	metrics_write(f); /* the shared families and process_* */
	fclose(f);
	resp->status = 200;
	resp->body = text;
	resp->body_len = len;
	resp->content_type = "text/plain; version=0.0.4";
}
