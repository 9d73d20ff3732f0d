/* The server's metrics: calls by method and gRPC code, latency by method,
 * and connections seen (a call from a peer address:port not among the
 * last RPC_PEER_RING seen counts one: a client's connection keeps its
 * source port, a new one gets another). */
#include "rpc.h"
#include "rpc_internal.h"
#include "rpc_server_internal.h"

#include <grpc/support/alloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "metrics/metrics.h"

#define RPC_PEER_RING 256
#define RPC_PEER_MAX  72

static metrics_family rpc_calls = METRICS_FAMILY(METRICS_COUNTER, "kolo_rpc_calls_total",
						 "gRPC calls served, by method and status code.");
static metrics_family rpc_latency =
	METRICS_FAMILY(METRICS_HISTOGRAM, "kolo_rpc_call_duration_seconds",
		       "Time to serve a gRPC call (a stream: its whole life), by method.");
static metrics_family rpc_connections =
	METRICS_FAMILY(METRICS_COUNTER, "kolo_rpc_connections_total",
		       "Client connections seen by a gRPC server, by service.");

static const char *const rpc_code_names[17] = {
	"OK",
	"CANCELLED",
	"UNKNOWN",
	"INVALID_ARGUMENT",
	"DEADLINE_EXCEEDED",
	"NOT_FOUND",
	"ALREADY_EXISTS",
	"PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION",
	"ABORTED",
	"OUT_OF_RANGE",
	"UNIMPLEMENTED",
	"INTERNAL",
	"UNAVAILABLE",
	"DATA_LOSS",
	"UNAUTHENTICATED",
};

static pthread_mutex_t rpc_peers_mu = PTHREAD_MUTEX_INITIALIZER;
static char rpc_peers[RPC_PEER_RING][RPC_PEER_MAX];
static size_t rpc_peers_next;

const char *
rpc_code_name(int grpc_code)
{
	return grpc_code >= 0 && grpc_code < 17 ? rpc_code_names[grpc_code] : "UNKNOWN";
}

void
rpc_metrics_call(const char *method, int grpc_code, int64_t micros)
{
	char labels[METRICS_LABELS_MAX];

	snprintf(labels, sizeof(labels), "method=\"%s\"", method);
	metrics_observe_us(&rpc_latency, labels, micros);
	snprintf(labels, sizeof(labels), "method=\"%s\",code=\"%s\"", method,
		 rpc_code_name(grpc_code));
	metrics_add(&rpc_calls, labels, 1);
}

/* 1 when key was not among the ring's (and is now). */
static int
rpc_peer_is_new(const char *key)
{
	int seen = 0;

	pthread_mutex_lock(&rpc_peers_mu);
	for (size_t i = 0; i < RPC_PEER_RING && !seen; i++)
		seen = strcmp(rpc_peers[i], key) == 0;
	if (!seen) {
		snprintf(rpc_peers[rpc_peers_next], RPC_PEER_MAX, "%s", key);
		rpc_peers_next = (rpc_peers_next + 1) % RPC_PEER_RING;
	}
	pthread_mutex_unlock(&rpc_peers_mu);
	return !seen;
}

void
rpc_metrics_peer(const rpc_server *s, grpc_call *call)
{
	char *peer = grpc_call_get_peer(call);
	char key[RPC_PEER_MAX], labels[METRICS_LABELS_MAX];

	if (!peer)
		return;
	snprintf(key, sizeof(key), "%d %s", s->port, peer);
	gpr_free(peer);
	if (!rpc_peer_is_new(key))
		return;
	snprintf(labels, sizeof(labels), "service=\"%s\"", s->service_name);
	metrics_add(&rpc_connections, labels, 1);
}

int64_t
rpc_metrics_connections(const char *service_name)
{
	char labels[METRICS_LABELS_MAX];

	snprintf(labels, sizeof(labels), "service=\"%s\"", service_name);
	return metrics_value(&rpc_connections, labels);
}

int64_t
rpc_metrics_calls(const char *method, const char *code)
{
	char labels[METRICS_LABELS_MAX];

	snprintf(labels, sizeof(labels), "method=\"%s\",code=\"%s\"", method, code);
	return metrics_value(&rpc_calls, labels);
}
