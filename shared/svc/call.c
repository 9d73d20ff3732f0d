#include "call.h"

#include <stdlib.h>

static char *svc_internal_token;

void svc_calls_configure(const char *internal_token)
{
	free(svc_internal_token);
	svc_internal_token = internal_token ? xstrdup(internal_token) : NULL;
}

void svc_calls_unconfigure(void)
{
	svc_calls_configure(NULL);
}

int svc_call_background(rpc_channel *ch, const char *method,
			const ProtobufCMessage *req, ProtobufCMessage **resp,
			mem_arena *arena, int64_t timeout_ms, unsigned flags)
{
	ProtobufCAllocator alloc = mem_arena_allocator(arena);
	rpc_metadata md[1];
	rpc_call_opts opts = { .timeout_ms = timeout_ms, .metadata = md,
			       .wait_for_ready = (flags & SVC_CALL_WAIT_FOR_READY) != 0 };

	if ((flags & SVC_CALL_INTERNAL) && svc_internal_token)
		md[opts.n_metadata++] =
			(rpc_metadata){ RPC_INTERNAL_TOKEN_KEY, svc_internal_token };
	return rpc_call(ch, method, req, resp, &alloc, &opts);
}

int svc_call(rpc_ctx *ctx, rpc_channel *ch, const char *method,
	     const ProtobufCMessage *req, ProtobufCMessage **resp,
	     unsigned flags)
{
	ProtobufCAllocator alloc = mem_arena_allocator(rpc_ctx_arena(ctx));
	rpc_metadata md[3];
	rpc_call_opts opts = { .metadata = md };
	int64_t left = rpc_ctx_remaining_ms(ctx);
	const char *request_id = rpc_ctx_metadata(ctx, "x-request-id");
	const char *bearer = rpc_ctx_metadata(ctx, "authorization");

	if (left <= 0)
		return err_set(ERR_DEADLINE_EXCEEDED, NULL,
			       "no time left to call %s", method);
	opts.timeout_ms = left < SVC_CALL_TIMEOUT_MS ? left : SVC_CALL_TIMEOUT_MS;
	if ((flags & SVC_CALL_INTERNAL) && svc_internal_token)
		md[opts.n_metadata++] =
			(rpc_metadata){ RPC_INTERNAL_TOKEN_KEY, svc_internal_token };
	if ((flags & SVC_CALL_AS_USER) && bearer)
		md[opts.n_metadata++] = (rpc_metadata){ "authorization", bearer };
	if (request_id)
		md[opts.n_metadata++] = (rpc_metadata){ "x-request-id", request_id };
	return rpc_call(ch, method, req, resp, &alloc, &opts);
}

int svc_env_call(const svc_env *env, rpc_channel *ch, const char *method,
		 const ProtobufCMessage *req, ProtobufCMessage **resp, unsigned flags)
{
	if (env->ctx)
		return svc_call(env->ctx, ch, method, req, resp, flags);
	return svc_call_background(ch, method, req, resp, env->arena,
				   SVC_BACKGROUND_TIMEOUT_MS, flags);
}

int64_t svc_tx_timeout(const rpc_ctx *ctx)
{
	int64_t left = rpc_ctx_remaining_ms(ctx);

	if (left <= 0)
		return 1;
	return left < INT32_MAX ? left : 0;
}

int64_t svc_env_timeout(const svc_env *env)
{
	return env->ctx ? svc_tx_timeout(env->ctx) : SVC_BACKGROUND_TIMEOUT_MS;
}
