/* svc: the common life of a Kolo service process.
 *
 * Reads the shared configuration from the environment (failing fast),
 * connects the database layer with the service's own role, serves the
 * service's method table over gRPC, waits for SIGTERM/SIGINT and shuts
 * down gracefully. A service's main.c only declares its svc_def. */
#ifndef KOLO_SVC_H
#define KOLO_SVC_H

#include "rpc/rpc.h"
#include "svc/peers.h"

typedef struct svc_def {
	const char *name;   /* process name "kolo-<caller>", e.g. "kolo-ledger" */
	svc_peer self;	    /* its row of the peers table: listen address */
	const char *db_env; /* e.g. "KOLO_LEDGER_DATABASE_URL" */
	/* Optional: the variable naming a read replica for reads that may
	 * lag (db_read), e.g. "KOLO_LEDGER_READ_DATABASE_URL"; unset or ""
	 * = none. */
	const char *read_db_env;
	const rpc_service *rpc;
	/* Optional: runs after the configuration is read and before the
	 * server starts (e.g. opening client channels); 0 or an err_code. */
	int (*start)(void);
	/* Optional: runs after the server stopped. */
	void (*stop)(void);
} svc_def;

/* Everything svc_main() read from the environment; valid while the
 * process runs. */
typedef struct svc_config {
	const char *addr;
	const char *database_url;
	const char *jwt_public_keys;
	const char *internal_token;	 /* this process's own service token */
	const char *caller_token_hashes; /* of the callers it accepts */
	int64_t workers;
	int64_t max_message_bytes;
	int64_t grace_ms;
	int64_t max_streams; /* open server streams at once */
	const char *tls_cert_file;
	const char *tls_key_file;
	const char *tls_client_ca_file;
	const char *tls_ca_file;     /* roots for calls to other services */
	const char *tls_target_name; /* name expected in their certificates */
	const char *health_addr;     /* plaintext health-only listener; "" = none */
	const char *log_level;
	int64_t member_cache_ms;      /* reader cache time to live (membership.h) */
	const char *metrics_addr;     /* plain-HTTP GET /metrics; "" = none */
	int64_t max_conn_age_s;	      /* gRPC max connection age; 0 = none */
	int64_t max_conn_age_grace_s; /* then this long to finish calls */
} svc_config;

/* The configuration of the running service (borrowed). */
const svc_config *svc_current_config(void);

/* Opens a channel to another service at target: TLS when
 * KOLO_TLS_CA_FILE is set (presenting this service's own certificate, so
 * mutual TLS works where the peer asks for it), plaintext otherwise.
 * *out is owned by the caller: rpc_channel_close(). */
KOLO_MUST_CHECK int svc_channel_open(rpc_channel **out, const char *target,
				     const ProtobufCServiceDescriptor *service);

/* Opens a channel to peer at its configured address (svc_peer_addr(),
 * then svc_channel_open() with the peer's gRPC service). A malformed
 * address is ERR_INVALID_ARGUMENT naming its variable. *out is owned by
 * the caller: rpc_channel_close(). */
KOLO_MUST_CHECK int svc_peer_open(rpc_channel **out, svc_peer peer);

/* Runs the service until a signal stops it; returns the exit status. */
int svc_main(const svc_def *def, int argc, char **argv);

#endif
