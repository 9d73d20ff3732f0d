/* The wiring shared by handlers and the worker. */
#include "payments.h"

#include "svc/call.h"

static pay_deps pay_wired;

/* The resend delay when none is configured: a transfer the provider never
 * heard of must not be sent again at the first lookup. */
#define PAY_RESEND_AFTER_DEFAULT_S 300

void
pay_configure(const pay_deps *deps)
{
	pay_wired = *deps;
	if (pay_wired.resend_after_s <= 0)
		pay_wired.resend_after_s = PAY_RESEND_AFTER_DEFAULT_S;
}

const pay_deps *
pay_current(void)
{
	return &pay_wired;
}

int
pay_call(ProtobufCMessage **out, pay_env *env, rpc_channel *ch, const char *method,
	 const ProtobufCMessage *req)
{
	return svc_env_call(env, ch, method, req, out, SVC_CALL_INTERNAL);
}
