/* call: one service calling another on behalf of the call it serves. */
#ifndef KOLO_SVC_CALL_H
#define KOLO_SVC_CALL_H

#include "rpc/rpc.h"

enum {
	SVC_CALL_INTERNAL = 1, /* present this process's name and token */
	SVC_CALL_AS_USER = 2,  /* forward the caller's bearer token */
	/* svc_call_background(): wait for the channel to connect (until the
	 * timeout) instead of failing at once while it is reconnecting, e.g.
	 * to a peer that was just restarted. */
	SVC_CALL_WAIT_FOR_READY = 4,
};

/* How long a call to another service may take at most (the caller's own
 * deadline may cut it shorter). */
#define SVC_CALL_TIMEOUT_MS 3000

/* Sets who internal calls present themselves as: this process's caller
 * name (callers.h, e.g. "payments") and its own service token (both
 * copied). Call once at start-up (svc_main does), before any worker runs. */
void svc_calls_configure(const char *caller, const char *token);

/* The calling thread's internal calls present caller and token instead
 * (borrowed: both must outlive the thread's calls; caller NULL: back to
 * the process's). For tests that host several services in one process. */
void svc_calls_thread_caller(const char *caller, const char *token);

/* Frees what svc_calls_configure() kept. */
void svc_calls_unconfigure(void);

/* Calls method on ch for ctx's call: the reply in ctx's arena, a deadline
 * of the smaller of ctx's remaining time and SVC_CALL_TIMEOUT_MS, the
 * call's x-request-id and trace (traceparent naming this hop, tracestate)
 * forwarded, and per flags this process's caller name and
 * token and the caller's bearer token. Failures keep the callee's code and reason. */
KOLO_MUST_CHECK int svc_call(rpc_ctx *ctx, rpc_channel *ch, const char *method,
			     const ProtobufCMessage *req, ProtobufCMessage **resp, unsigned flags);

/* A call made by background work (a worker thread): no caller to follow,
 * so the deadline is timeout_ms and the reply goes into arena. With
 * SVC_CALL_INTERNAL this process's caller name and token are sent; when the
 * thread serves a call (log_context), its request id and trace are too. */
KOLO_MUST_CHECK int svc_call_background(rpc_channel *ch, const char *method,
					const ProtobufCMessage *req, ProtobufCMessage **resp,
					mem_arena *arena, int64_t timeout_ms, unsigned flags);

/* Who some work is done for: an RPC being served (ctx), or background
 * work (ctx NULL). Replies of calls it makes go into arena. */
typedef struct svc_env {
	rpc_ctx *ctx;
	mem_arena *arena;
} svc_env;

/* How long background work gives one call or one transaction. */
#define SVC_BACKGROUND_TIMEOUT_MS 10000

/* svc_call() for an RPC, svc_call_background() for background work. */
KOLO_MUST_CHECK int svc_env_call(const svc_env *env, rpc_channel *ch, const char *method,
				 const ProtobufCMessage *req, ProtobufCMessage **resp,
				 unsigned flags);

/* Milliseconds a transaction run for an RPC may take, for db_tx(): what
 * is left of ctx's deadline; 1 when it has passed, so the transaction
 * fails fast (DEADLINE_EXCEEDED) rather than running unbounded; 0 (no
 * limit) only for a call without a deadline. */
int64_t svc_tx_timeout(const rpc_ctx *ctx);

/* svc_tx_timeout() for an RPC, SVC_BACKGROUND_TIMEOUT_MS for background
 * work. */
int64_t svc_env_timeout(const svc_env *env);

/* svc_tx_timeout() of the call the calling thread serves
 * (rpc_current_call()); SVC_BACKGROUND_TIMEOUT_MS outside a call
 * (background passes, scrapes, session checks). svc_main makes it
 * db_thread_conn()'s deadline source, so that every statement run outside
 * a transaction (whose commit may wait for the synchronous standby) waits
 * no longer than its call's deadline, or a background step's. */
int64_t svc_current_tx_timeout(void);

#endif
