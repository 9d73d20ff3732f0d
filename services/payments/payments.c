/* The wiring shared by handlers and the worker. */
#include "payments.h"

#include "svc/call.h"

/* How long one call of the worker may take. */
#define PAY_BACKGROUND_TIMEOUT_MS 10000

static pay_deps pay_wired;

void pay_configure(const pay_deps *deps)
{
	pay_wired = *deps;
}

const pay_deps *pay_current(void)
{
	return &pay_wired;
}

int pay_call(pay_env *env, rpc_channel *ch, const char *method,
	     const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	if (env->ctx)
		return svc_call(env->ctx, ch, method, req, resp, SVC_CALL_INTERNAL);
	return svc_call_background(ch, method, req, resp, env->arena,
				   PAY_BACKGROUND_TIMEOUT_MS, SVC_CALL_INTERNAL);
}

int pay_db(db_conn **out)
{
	return db_thread_conn(out);
}

int64_t pay_tx_timeout(const pay_env *env)
{
	int64_t left = env->ctx ? rpc_ctx_remaining_ms(env->ctx) : PAY_BACKGROUND_TIMEOUT_MS;

	return left > 0 && left < INT32_MAX ? left : 0;
}
