#include "call.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

static char *svc_caller;
static char *svc_token;
static _Thread_local const char *svc_thread_caller;
static _Thread_local const char *svc_thread_token;

void
svc_calls_configure(const char *caller, const char *token)
{
	free(svc_caller);
	if (svc_token)
		sodium_memzero(svc_token, strlen(svc_token));
	free(svc_token);
	svc_caller = caller ? xstrdup(caller) : NULL;
	svc_token = token ? xstrdup(token) : NULL;
}

void
svc_calls_unconfigure(void)
{
	svc_calls_configure(NULL, NULL);
}

void
svc_calls_thread_caller(const char *caller, const char *token)
{
	svc_thread_caller = caller;
	svc_thread_token = caller ? token : NULL;
}

/* Adds this process's caller name and token to md; the new count. */
static size_t
svc_caller_metadata(rpc_metadata *md, size_t n, unsigned flags)
{
	const char *caller = svc_thread_caller ? svc_thread_caller : svc_caller;
	const char *token = svc_thread_caller ? svc_thread_token : svc_token;

	if (!(flags & SVC_CALL_INTERNAL) || !caller || !token)
		return n;
	md[n++] = (rpc_metadata){RPC_CALLER_KEY, caller};
	md[n++] = (rpc_metadata){RPC_INTERNAL_TOKEN_KEY, token};
	return n;
}

/* Adds the call context t (NULL: none): its request id, this hop as the
 * traceparent's parent and the tracestate as received; the new count. tp
 * holds the traceparent text. */
static size_t
svc_trace_metadata(rpc_metadata *md, size_t n, const trace_ctx *t, char tp[TRACE_PARENT_LEN + 1])
{
	if (!t)
		return n;
	trace_format_traceparent(t, tp);
	md[n++] = (rpc_metadata){RPC_REQUEST_ID_KEY, t->request_id};
	md[n++] = (rpc_metadata){RPC_TRACEPARENT_KEY, tp};
	if (t->tracestate[0])
		md[n++] = (rpc_metadata){RPC_TRACESTATE_KEY, t->tracestate};
	return n;
}

int
svc_call_background(rpc_channel *ch, const char *method, const ProtobufCMessage *req,
		    ProtobufCMessage **resp, mem_arena *arena, int64_t timeout_ms, unsigned flags)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	rpc_metadata md[5];
	char tp[TRACE_PARENT_LEN + 1];
	rpc_call_opts opts = {.timeout_ms = timeout_ms,
			      .metadata = md,
			      .wait_for_ready = (flags & SVC_CALL_WAIT_FOR_READY) != 0};

	opts.n_metadata = svc_caller_metadata(md, 0, flags);
	opts.n_metadata = svc_trace_metadata(md, opts.n_metadata, log_context(), tp);
	return rpc_call(ch, method, req, resp, &alloc, &opts);
}

int
svc_call(rpc_ctx *ctx, rpc_channel *ch, const char *method, const ProtobufCMessage *req,
	 ProtobufCMessage **resp, unsigned flags)
{
	ProtobufCAllocator alloc = mem_arena_allocator(rpc_ctx_arena(ctx));
	rpc_metadata md[6];
	char tp[TRACE_PARENT_LEN + 1];
	rpc_call_opts opts = {.metadata = md};
	int64_t left = rpc_ctx_remaining_ms(ctx);
	const char *bearer = rpc_ctx_metadata(ctx, "authorization");

	if (left <= 0)
		return err_set(ERR_DEADLINE_EXCEEDED, NULL, "no time left to call %s", method);
	opts.timeout_ms = left < SVC_CALL_TIMEOUT_MS ? left : SVC_CALL_TIMEOUT_MS;
	opts.n_metadata = svc_caller_metadata(md, 0, flags);
	if ((flags & SVC_CALL_AS_USER) && bearer)
		md[opts.n_metadata++] = (rpc_metadata){"authorization", bearer};
	opts.n_metadata = svc_trace_metadata(md, opts.n_metadata, rpc_ctx_trace(ctx), tp);
	return rpc_call(ch, method, req, resp, &alloc, &opts);
}

int
svc_env_call(const svc_env *env, rpc_channel *ch, const char *method, const ProtobufCMessage *req,
	     ProtobufCMessage **resp, unsigned flags)
{
	if (env->ctx)
		return svc_call(env->ctx, ch, method, req, resp, flags);
	return svc_call_background(ch, method, req, resp, env->arena, SVC_BACKGROUND_TIMEOUT_MS,
				   flags);
}

int64_t
svc_tx_timeout(const rpc_ctx *ctx)
{
	int64_t left = rpc_ctx_remaining_ms(ctx);

	if (left <= 0)
		return 1;
	return left < INT32_MAX ? left : 0;
}

int64_t
svc_current_tx_timeout(void)
{
	const rpc_ctx *ctx = rpc_current_call();

	return ctx ? svc_tx_timeout(ctx) : SVC_BACKGROUND_TIMEOUT_MS;
}

int64_t
svc_env_timeout(const svc_env *env)
{
	return env->ctx ? svc_tx_timeout(env->ctx) : SVC_BACKGROUND_TIMEOUT_MS;
}
