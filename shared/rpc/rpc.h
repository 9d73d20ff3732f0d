/* rpc: a thin RPC layer on the gRPC C core and protobuf-c: unary and
 * server-streaming methods.
 *
 * Server: a service is its protoc-c descriptor plus one static method
 * table {name, handler, auth}. Before a handler runs, the layer has checked
 * auth, unpacked the request into the call's arena and checked the
 * deadline; after it returns, the layer packs the reply or sends the error
 * recorded with err_set() as status + message + `kolo-error` trailer.
 * grpc.health.v1.Health/Check and Health/Watch are served for every
 * service, and so is server reflection (grpc.reflection.v1 and v1alpha,
 * rpc_reflection.c: the service itself, Health and reflection, from the
 * descriptor set compiled in), both without a token.
 *
 * Server streaming: a second table {name, stream_handler, auth} names the
 * methods the .proto declares `returns (stream ...)`; the service also
 * gives the generated <SERVICE>__SERVER_STREAMING list so the server can
 * check both tables against the .proto. Auth, unpacking and the deadline
 * check run on a worker exactly as for unary calls; the call then gets its
 * own thread (at most max_streams at once, beyond that RESOURCE_EXHAUSTED
 * "too_many_streams"), its own arena, and the handler sends with
 * rpc_stream_send() (blocking while the client does not read: flow
 * control, no unbounded buffering) and sleeps with rpc_stream_wait(); both
 * fail once the client went away, the deadline passed or the server is
 * stopping, and the handler then returns that error. rpc_server_stop()
 * wakes every stream, gives them the grace period and joins their threads.
 *
 * Client: one channel per target, shared by all threads; rpc_call() is a
 * synchronous unary call that always has a deadline; rpc_stream_open() and
 * rpc_stream_next() read a server stream, which has one too. */
#ifndef KOLO_RPC_H
#define KOLO_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "err/err.h"
#include "log/trace.h"
#include "mem/mem.h"
#include "rpc/callers.h"

/* Trailing metadata key carrying the machine reason of a failed call. */
#define RPC_REASON_KEY "kolo-error"
/* Trailing metadata key carrying a rate limit's retry hint (seconds). */
#define RPC_RETRY_AFTER_KEY "kolo-retry-after"
/* Request and reply metadata key of the call's request id. */
#define RPC_REQUEST_ID_KEY "x-request-id"
/* Request metadata keys of the W3C trace context. */
#define RPC_TRACEPARENT_KEY "traceparent"
#define RPC_TRACESTATE_KEY  "tracestate"
/* Request metadata key carrying the calling process's own service token
 * (its name in RPC_CALLER_KEY; see callers.h). */
#define RPC_INTERNAL_TOKEN_KEY "kolo-internal-token"
/* Default cap on a request or reply message. */
#define RPC_DEFAULT_MAX_MESSAGE (4 * 1024 * 1024)
/* The longest a client channel waits before connecting again to a peer
 * that went away. */
#define RPC_MAX_RECONNECT_BACKOFF_MS 1000
/* Deadline of a client call whose options name none. */
#define RPC_DEFAULT_TIMEOUT_MS 5000

/* Who may call a method (flags; several mean "any of them"). */
enum {
	RPC_AUTH_NONE = 0,     /* anyone, e.g. Login, Health */
	RPC_AUTH_USER = 1,     /* a valid access token in `authorization` */
	RPC_AUTH_INTERNAL = 2, /* a service caller callers.h allows */
	/* With RPC_AUTH_USER, for money and credential acts: the token must
	 * name a session (`sid`) that is still live, per the service's
	 * session_check; a call let in by a service caller is not asked. */
	RPC_AUTH_LIVE = 4,
};

typedef struct rpc_ctx rpc_ctx;

/* A handler reads req, fills resp (already initialised) and returns 0, or
 * returns the err_code it recorded with err_set(). Allocate anything the
 * reply points to in the call's arena (rpc_ctx_arena()). */
typedef int (*rpc_handler)(rpc_ctx *ctx, const ProtobufCMessage *req, ProtobufCMessage *resp);

typedef struct rpc_method {
	const char *name;    /* RPC name as in the .proto, e.g. "GetBalance" */
	rpc_handler handler; /* NULL: answered UNIMPLEMENTED */
	unsigned auth;	     /* RPC_AUTH_* flags */
	/* sizeof the handler's request and reply structs (0: not checked);
	 * rpc_server_start() refuses a row whose sizes are not the .proto's. */
	size_t req_size;
	size_t resp_size;
} rpc_method;

/* One row of a method table, naming a typed handler
 *	int fn(rpc_ctx *ctx, const <pkg><rpc>Request *in, <pkg><rpc>Response *out)
 * e.g. RPC_METHOD(Kolo__Ledger__V1__, GetBalance, ldg_get_balance, auth).
 * The only place a handler is cast to rpc_handler: _Generic refuses (at
 * compile time) a function of any other type, the row's name is the RPC's
 * own, and rpc_server_start() checks both structs' sizes against the
 * .proto's method (the layer unpacks and packs with the descriptor, and
 * the handler sees the same structs through its own types). */
#define RPC_METHOD(pkg, rpc, fn, auth_flags)                                                       \
	{                                                                                          \
		.name = #rpc,                                                                      \
		.handler = _Generic(                                                               \
			&(fn), int (*)(rpc_ctx *, const pkg##rpc##Request *, pkg##rpc##Response *) \
			: (rpc_handler)(fn)),                                                      \
		.auth = (auth_flags), .req_size = sizeof(pkg##rpc##Request),                       \
		.resp_size = sizeof(pkg##rpc##Response),                                           \
	}

/* One server stream being served (see rpc_stream_send). */
typedef struct rpc_stream rpc_stream;

/* A stream handler reads req and sends replies with rpc_stream_send() on
 * the stream's own thread; it returns 0 (the stream ends with OK) or the
 * err_code it recorded with err_set() (sent as status + kolo-error), e.g.
 * the one rpc_stream_send() or rpc_stream_wait() returned. The ctx and its
 * arena live until the handler returns; the arena is never reset in
 * between, so a long stream allocates per message outside it (or in a
 * scratch arena of its own). */
typedef int (*rpc_stream_handler)(rpc_ctx *ctx, const ProtobufCMessage *req, rpc_stream *stream);

typedef struct rpc_stream_method {
	const char *name;		   /* RPC name, e.g. "WatchEvents" */
	rpc_stream_handler stream_handler; /* NULL: answered UNIMPLEMENTED */
	unsigned auth;			   /* RPC_AUTH_* flags */
	size_t req_size;		   /* as in rpc_method */
} rpc_stream_method;

/* RPC_METHOD's twin for a stream handler
 *	int fn(rpc_ctx *ctx, const <pkg><rpc>Request *in, rpc_stream *stream) */
#define RPC_STREAM_METHOD(pkg, rpc, fn, auth_flags)                                                \
	{                                                                                          \
		.name = #rpc,                                                                      \
		.stream_handler = _Generic(                                                        \
			&(fn), int (*)(rpc_ctx *, const pkg##rpc##Request *, rpc_stream *)         \
			: (rpc_stream_handler)(fn)),                                               \
		.auth = (auth_flags), .req_size = sizeof(pkg##rpc##Request),                       \
	}

/* Whether the session of a verified access token (claims->sid, never
 * empty here) is still live: 0, or the err_code it recorded with err_set()
 * (ERR_UNAUTHENTICATED "session_revoked", ERR_UNAVAILABLE
 * "sessions_unknown" when it cannot tell). Runs on the server's worker
 * threads. */
typedef int (*rpc_session_check)(const auth_claims *claims);

typedef struct rpc_service {
	const ProtobufCServiceDescriptor *descriptor;
	const rpc_method *methods;
	size_t n_methods;
	/* Who may call the RPC_AUTH_INTERNAL methods; NULL: the one table of
	 * callers.c (tests give their own). */
	const rpc_caller_rule *caller_rules;
	size_t n_caller_rules;
	/* Asked before RPC_AUTH_LIVE methods; NULL: they fail closed
	 * (UNAVAILABLE "sessions_unknown"). */
	rpc_session_check session_check;
	/* The server-streaming methods. */
	const rpc_stream_method *stream_methods;
	size_t n_stream_methods;
	/* The RPC names the .proto declares server streaming: the generated
	 * header's <PACKAGE>__<SERVICE>__SERVER_STREAMING (NULL-terminated).
	 * rpc_server_start() refuses a unary handler for one of them and a
	 * stream handler for any other; NULL (a service with no streams):
	 * stream_methods must be empty. */
	const char *const *server_streaming;
} rpc_service;

typedef struct rpc_server_config {
	const char *addr;		/* "host:port"; port 0 picks one */
	int workers;			/* worker threads (<= 0: 2) */
	size_t max_message_bytes;	/* 0: RPC_DEFAULT_MAX_MESSAGE */
	const char *tls_cert_file;	/* PEM; NULL = plaintext */
	const char *tls_key_file;	/* PEM private key of the cert */
	const char *tls_client_ca_file; /* PEM; set = mutual TLS required */
	const auth_keyring *keys;	/* for RPC_AUTH_USER; copied */
	/* "name:sha256hex,..." of the service callers accepted (see
	 * rpc_caller_keys_parse); NULL or "": none. */
	const char *caller_token_hashes;
	int64_t grace_ms; /* shutdown grace (<= 0: 10 s) */
	/* Optional: runs first on each worker thread and each stream's
	 * thread (e.g. to pick the thread's database settings). */
	void (*worker_start)(void *arg);
	void *worker_arg;
	int max_streams; /* open server streams at once (<= 0: 256) */
	/* A connection is asked to go away (GOAWAY) after about this long
	 * (gRPC adds +-10% jitter), then has max_conn_age_grace_ms to finish
	 * its calls; <= 0: never / no limit. */
	int64_t max_conn_age_ms;
	int64_t max_conn_age_grace_ms;
} rpc_server_config;

typedef struct rpc_server rpc_server;

/* Process-wide set-up and tear-down of the gRPC core. rpc_shutdown()
 * waits until the core has stopped; call it last. */
void rpc_init(void);
void rpc_shutdown(void);

/* Binds, registers the methods and starts the workers. *out is owned by
 * the caller: rpc_server_stop(). ERR_UNAVAILABLE if the address cannot be
 * bound, ERR_INVALID_ARGUMENT for a bad table (an RPC_AUTH_INTERNAL method
 * without a caller rule), bad caller token hashes or unreadable TLS
 * files. */
KOLO_MUST_CHECK int rpc_server_start(rpc_server **out, const rpc_service *service,
				     const rpc_server_config *config);

/* A plaintext server of grpc.health.v1.Health (Check, Watch) alone, one
 * worker: for probes that cannot speak TLS (kubelet's gRPC probes) beside a
 * server that requires it. It says SERVING until it is stopped; stop it
 * first. */
KOLO_MUST_CHECK int rpc_health_server_start(rpc_server **out, const char *addr);

/* The bound TCP port. */
int rpc_server_port(const rpc_server *server);

/* Metrics kept by the servers of this process (metrics/metrics.h): the
 * name of a gRPC code ("OK", "NOT_FOUND"), the count of calls of method
 * ("/pkg.Service/Method") that ended with code, and of client connections
 * seen by the servers of service_name ("kolo.ledger.v1.Ledger"). */
const char *rpc_code_name(int grpc_code);
int64_t rpc_metrics_calls(const char *method, const char *code);
int64_t rpc_metrics_connections(const char *service_name);

/* Graceful stop: refuses new calls, says NOT_SERVING, wakes every open
 * stream (its sends and waits fail with UNAVAILABLE "shutting_down"), lets
 * in-flight calls and streams finish within the grace period (then cancels
 * them), joins the workers and the streams' threads, frees. A stream
 * handler that never sends or waits again holds it up. */
void rpc_server_stop(rpc_server *server);

/* Wakes every rpc_stream_wait() of the server's open streams (it returns 0
 * early); a stream not waiting now returns at once from its next wait, so
 * a notification between a handler's look at its data and its wait is not
 * lost. For threads that learn of news the streams should send. */
void rpc_server_notify(rpc_server *server);

/* The same, for the server serving ctx's call (e.g. a unary handler that
 * wrote something streams watch). */
void rpc_ctx_notify_streams(rpc_ctx *ctx);

/* Wakes one stream's rpc_stream_wait() as rpc_server_notify() does
 * (sticky until its next wait): for a thread that knows which streams
 * have news. Any thread may call it while the stream's handler has not
 * returned (the caller makes sure of that, e.g. under its own lock). */
void rpc_stream_notify(rpc_stream *stream);

/* Sends one message of the stream's reply type and returns once the
 * core took it: while the client does not read and the transport's
 * buffers are full, it blocks (flow control). Fails with ERR_CANCELLED
 * "stream_cancelled" when the client went away, ERR_DEADLINE_EXCEEDED when
 * the deadline passed, ERR_UNAVAILABLE "shutting_down" when the server is
 * stopping, ERR_RESOURCE_EXHAUSTED "reply_too_large" above the message cap
 * (the stream goes on). Only the stream's own thread sends. */
KOLO_MUST_CHECK int rpc_stream_send(rpc_stream *stream, const ProtobufCMessage *msg);

/* Sleeps up to ms (never past the call's deadline). Returns 0 when the
 * time is up or rpc_server_notify() woke it; the err_code of
 * rpc_stream_send() (< 0, recorded with err_set()) as soon as the stream
 * must end: client gone, deadline passed, server stopping. */
KOLO_MUST_CHECK int rpc_stream_wait(rpc_stream *stream, int64_t ms);

/* The caller's user id from a verified access token; NULL when the call
 * carried none (an internal or anonymous call). Borrowed. */
const char *rpc_ctx_user_id(const rpc_ctx *ctx);

/* The verified claims of the caller's access token; NULL when none. */
const auth_claims *rpc_ctx_claims(const rpc_ctx *ctx);

/* 1 when the call is a service call the caller table allows for this
 * method (a valid caller token; it may also name a user). */
int rpc_ctx_is_internal(const rpc_ctx *ctx);

/* The name of the Kolo process that made the call, from a valid caller
 * token ("gateway", "payments", ...); NULL for anyone else. Static. */
const char *rpc_ctx_caller(const rpc_ctx *ctx);

/* A request metadata value the gateway forwards for the end user
 * (x-forwarded-for, x-user-agent): only when the call was made by the
 * gateway (its caller token); NULL otherwise, so a direct caller cannot
 * forge it. In the arena. */
const char *rpc_ctx_forwarded(rpc_ctx *ctx, const char *key);

/* A request metadata value, NUL-terminated in the arena; NULL if absent. */
const char *rpc_ctx_metadata(rpc_ctx *ctx, const char *key);

/* The network address of the caller's end of the connection (the host:
 * "203.0.113.7", "2001:db8::1"; no scheme, no port), in the arena; NULL
 * when the core cannot tell. Behind a proxy this is the proxy. */
const char *rpc_ctx_peer(rpc_ctx *ctx);

/* The call's request id and trace (log/trace.h): the caller's x-request-id
 * and traceparent when valid, else made here; this hop's span id.
 * Borrowed, for the call's life. */
const trace_ctx *rpc_ctx_trace(const rpc_ctx *ctx);

/* Milliseconds left before the call's deadline (INT64_MAX: none). */
int64_t rpc_ctx_remaining_ms(const rpc_ctx *ctx);

/* The unary call the calling thread is serving now (borrowed, valid until
 * its handler returns); NULL outside a handler and on stream threads. For
 * layers below the handler that need the call's deadline (db_thread_conn
 * through svc). */
const rpc_ctx *rpc_current_call(void);

/* The call's arena (borrowed; freed by the layer after the reply). */
mem_arena *rpc_ctx_arena(rpc_ctx *ctx);

typedef struct rpc_channel rpc_channel;

typedef struct rpc_client_tls {
	const char *ca_file;   /* PEM roots; required for TLS */
	const char *cert_file; /* client cert for mutual TLS */
	const char *key_file;
	const char *target_name_override; /* when dialing an IP */
} rpc_client_tls;

/* Opens a channel to target ("host:port") for one service. tls NULL =
 * plaintext. *out is owned by the caller: rpc_channel_close(). Connection
 * happens lazily, on the first call. */
KOLO_MUST_CHECK int rpc_channel_open(rpc_channel **out, const char *target,
				     const ProtobufCServiceDescriptor *service,
				     const rpc_client_tls *tls);

void rpc_channel_close(rpc_channel *channel);

/* 1 when the channel cannot reach its target now: its last attempt to
 * connect failed and it waits to try again (TRANSIENT_FAILURE), or it is
 * shut down; 0 while it is ready, connecting or idle. Starts nothing: a
 * caller that would only fail slowly answers at once instead. */
int rpc_channel_down(rpc_channel *channel);

typedef struct rpc_metadata {
	const char *key; /* lower case */
	const char *value;
} rpc_metadata;

typedef struct rpc_call_opts {
	int64_t timeout_ms; /* <= 0: RPC_DEFAULT_TIMEOUT_MS */
	const rpc_metadata *metadata;
	size_t n_metadata;
	int wait_for_ready; /* wait for the channel instead of failing */
} rpc_call_opts;

/* Calls method (its .proto name) with req and waits for the reply. On
 * success *resp_out is the unpacked reply allocated with alloc (use an
 * arena's allocator, or NULL for malloc and then
 * protobuf_c_message_free_unpacked(*resp_out, NULL)); resp_out may be
 * NULL when the reply is not wanted. On failure returns
 * the negated gRPC status and records message and reason (the server's
 * kolo-error trailer, or the code's default) with err_set(). */
KOLO_MUST_CHECK int rpc_call(rpc_channel *channel, const char *method, const ProtobufCMessage *req,
			     ProtobufCMessage **resp_out, ProtobufCAllocator *alloc,
			     const rpc_call_opts *opts);

/* A server stream being read. */
typedef struct rpc_client_stream rpc_client_stream;

/* Starts the server-streaming method (its .proto name) with req. The
 * stream's deadline is opts->timeout_ms (<= 0: RPC_DEFAULT_TIMEOUT_MS; give
 * a long one for a long watch). *out is owned by the caller:
 * rpc_client_stream_close(). Fails like rpc_call() when the call cannot
 * start (bad metadata, a channel that cannot connect). */
KOLO_MUST_CHECK int rpc_stream_open(rpc_client_stream **out, rpc_channel *channel,
				    const char *method, const ProtobufCMessage *req,
				    const rpc_call_opts *opts);

/* Waits for the next message: 0 with *msg_out unpacked with alloc (as in
 * rpc_call()), 1 when the server ended the stream with OK, or the negated
 * gRPC status with message and reason recorded like rpc_call() (the same
 * again on later calls). */
KOLO_MUST_CHECK int rpc_stream_next(rpc_client_stream *stream, ProtobufCMessage **msg_out,
				    ProtobufCAllocator *alloc);

/* Cancels the stream if it is still open, waits for the core and frees.
 * NULL is fine. */
void rpc_client_stream_close(rpc_client_stream *stream);

/* Frees the calling thread's client completion queue now (threads that
 * exit free theirs; the main thread calls this before rpc_shutdown()). */
void rpc_client_thread_done(void);

#endif
