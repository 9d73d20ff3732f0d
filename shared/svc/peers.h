/* peers: the six Kolo services as their callers know them.
 *
 * One table names each service, the variable that holds its address
 * (KOLO_<SERVICE>_ADDR: the listen address of the service itself, the
 * address to dial for every other process), its default (DESIGN §1) and
 * its gRPC service. Services and the gateway read addresses through
 * svc_peer_addr(), so a malformed one stops the process at start. */
#ifndef KOLO_SVC_PEERS_H
#define KOLO_SVC_PEERS_H

#include <protobuf-c/protobuf-c.h>

#include "err/err.h"

typedef enum {
	SVC_PEER_IDENTITY,
	SVC_PEER_GROUPS,
	SVC_PEER_LEDGER,
	SVC_PEER_WITHDRAWALS,
	SVC_PEER_PAYMENTS,
	SVC_PEER_EVENTS,
	SVC_N_PEERS
} svc_peer;

typedef struct svc_peer_def {
	const char *name;	  /* "ledger" */
	const char *addr_env;	  /* "KOLO_LEDGER_ADDR" */
	const char *default_addr; /* "127.0.0.1:7103" */
	const ProtobufCServiceDescriptor *service;
} svc_peer_def;

/* The table row of peer (static). peer must be below SVC_N_PEERS. */
const svc_peer_def *svc_peer_def_of(svc_peer peer);

/* The address of peer: its variable, or its default when the variable is
 * unset or empty (cfg's rule). *out is borrowed from the environment or
 * the table. A value that is not host:port (no colon, no host, a port
 * that is not a number in 0..65535) is ERR_INVALID_ARGUMENT, reason
 * "bad_config", naming the variable. */
KOLO_MUST_CHECK int svc_peer_addr(const char **out, svc_peer peer);

#endif
