/* What the server half of shared/rpc shares between its files: the
 * server, its workers and call slots (rpc_server.c) and server streams
 * (rpc_stream.c). */
#ifndef KOLO_RPC_SERVER_INTERNAL_H
#define KOLO_RPC_SERVER_INTERNAL_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "log/trace.h"
#include "rpc.h"

typedef struct rpc_server rpc_server;

/* One method the server answers: its path, descriptors and handler (one
 * of handler and stream_handler). */
typedef struct rpc_bound {
	char *path; /* owned */
	const ProtobufCMethodDescriptor *desc;
	rpc_handler handler;
	rpc_stream_handler stream_handler;
	unsigned auth;
	unsigned callers; /* RPC_CALLER_* allowed when auth has INTERNAL */
	int bidi;	  /* requests streamed too: read with rpc_stream_recv */
	void *handle;	  /* grpc_server_register_method's */
} rpc_bound;

struct rpc_worker;

/* A call slot: one outstanding request per bound method per worker, plus
 * one (bound == -1) for methods no one registered. A stream's call moves
 * to a copy owned by the stream (stream set): its batches complete on the
 * server's stream queue, not the worker's. */
typedef struct rpc_pending {
	struct rpc_worker *worker;
	struct rpc_stream *stream;
	int bound;
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array metadata;
	grpc_byte_buffer *payload;
	grpc_call_details details;
	trace_ctx trace; /* the call's request id and trace (rpc_trace_begin) */
	/* The slot's own queue for its unary call's reply batch (pluck):
	 * any worker may serve any slot, so no two wait on one queue. */
	grpc_completion_queue *call_cq;
} rpc_pending;

typedef struct rpc_worker {
	rpc_server *server;
	pthread_t thread;
	grpc_completion_queue *cq; /* new-call notifications (next): the server's one */
	rpc_pending *pending;	   /* n_bound + 1 slots */
	mem_arena *arena;
} rpc_worker;

struct rpc_server {
	grpc_server *grpc;
	grpc_completion_queue *shutdown_cq;
	const char *service_name;
	rpc_bound *bound;
	size_t n_bound;
	rpc_worker *workers;
	int n_workers;
	auth_verifier *verifier; /* NULL: no user tokens accepted */
	rpc_caller_keys callers;
	rpc_session_check session_check; /* for RPC_AUTH_LIVE; may be NULL */
	size_t max_message;
	int64_t grace_ms;
	void (*worker_start)(void *arg);
	void *worker_arg;
	int port;
	atomic_int stopping;
	/* Workers ask the core for calls under request_mu, and not once
	 * rpc_server_stop() closed requests (before it destroys the core's
	 * server: a worker that is late to ask must not touch it). */
	pthread_mutex_t request_mu;
	int requests_closed;
	/* Server streams (rpc_stream.c). */
	grpc_completion_queue *stream_cq; /* every stream call's batches */
	pthread_t stream_pump;		  /* turns their events into wake-ups */
	int pump_started;
	pthread_mutex_t streams_mu;
	pthread_cond_t streams_cond; /* a stream ended */
	struct rpc_stream *streams;  /* open, under streams_mu */
	struct rpc_stream *ended;    /* threads done, to be joined */
	int n_streams;
	int n_bidi_streams; /* of n_streams, client-streaming (bound->bidi) */
	int max_streams;
	struct rpc_reflection *reflection; /* rpc_reflection.c; may be NULL */
};

struct rpc_ctx {
	rpc_pending *pending;
	rpc_server *server;
	const rpc_bound *bound;
	mem_arena *arena;
	const char *user_id;
	auth_claims claims;
	unsigned caller; /* RPC_CALLER_* of a valid caller token; 0: none */
	int internal;
};

/* --- rpc_server.c, for streams ---------------------------------------- */

/* Runs the checks of the method's auth flags (the same for every kind). */
int rpc_authenticate(rpc_ctx *ctx);

/* Unpacks the call's request into the ctx's arena. */
int rpc_unpack(ProtobufCMessage **out, rpc_ctx *ctx);

/* Packs msg into a new byte buffer (*out owned by the caller), refusing
 * one above max_bytes (RESOURCE_EXHAUSTED "reply_too_large"). */
int rpc_pack(grpc_byte_buffer **out, const ProtobufCMessage *msg, size_t max_bytes);

/* Sends status (and msg when not NULL) and waits for the batch. */
void rpc_reply(rpc_pending *p, grpc_status_code status, const char *message, const char *reason,
	       grpc_byte_buffer *msg, int retry_after_s);

/* Fills md with x-request-id: the request id of p's call (md->value is
 * a new slice the caller unrefs). */
void rpc_request_id_metadata(grpc_metadata *md, const rpc_pending *p);

/* Sends the error rc recorded on this thread as the call's status. */
void rpc_reply_error(rpc_pending *p, int rc);

/* One debug line per call. */
void rpc_log_call(rpc_ctx *ctx, int rc, const struct timespec *start);

/* The request id and trace of p's call, from its metadata (x-request-id,
 * traceparent, tracestate), set as the thread's log context; a refused
 * value is logged. */
void rpc_trace_begin(rpc_pending *p);

/* --- rpc_metrics.c ------------------------------------------------------ */

/* Counts a finished call of method (its path) with its gRPC code. */
void rpc_metrics_call(const char *method, int grpc_code, int64_t micros);

/* Counts the call's connection if its peer is new to the server. */
void rpc_metrics_peer(const rpc_server *s, grpc_call *call);

/* Frees what the slot holds of its call (metadata, payload, call). */
void rpc_pending_reset(rpc_pending *p);

/* --- rpc_stream.c -------------------------------------------------------- */

/* Sets up and tears down the server's stream machinery. start after the
 * server started; stop after the core's shutdown finished (every call
 * over): joins every stream thread and the pump. */
void rpc_streams_init(rpc_server *s, int max_streams);
void rpc_streams_start(rpc_server *s);
void rpc_streams_join(rpc_server *s);
void rpc_streams_destroy(rpc_server *s);

/* Wakes every open stream's wait (stop: they see the server stopping). */
void rpc_streams_wake(rpc_server *s);

/* On a worker: takes the call of slot p (a stream method), checks it like
 * a unary call and hands it to a thread of its own, or answers the
 * error. */
void rpc_stream_serve(rpc_pending *p);

/* Runs ops on the stream's call and waits for them; 1 when they
 * succeeded. */
int rpc_stream_batch(struct rpc_stream *stream, const grpc_op *ops, size_t n);

/* 1 once the stream sent its initial metadata. */
int rpc_stream_initial_sent(const struct rpc_stream *stream);

/* rpc_stream_send(), but while the server stops too (a last word, such as
 * Health/Watch's NOT_SERVING). */
int rpc_stream_push(struct rpc_stream *stream, const ProtobufCMessage *msg, int while_stopping);

/* For a bidirectional stream (bound->bidi): reads the client's next
 * message, unpacked as the method's request type into arena (*out). 0 with
 * *out; 1 when the client has no more to send; < 0 (recorded) when the
 * stream must end: client gone, deadline passed, server stopping (the call
 * is then cancelled), a message above max_bytes (INVALID_ARGUMENT
 * "request_too_large") or not of the type ("malformed_message"), or none
 * within idle_ms (DEADLINE_EXCEEDED "stream_idle", the call cancelled). */
int rpc_stream_recv(struct rpc_stream *stream, ProtobufCMessage **out, mem_arena *arena,
		    size_t max_bytes, int64_t idle_ms);

#endif
