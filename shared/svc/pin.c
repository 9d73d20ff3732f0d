/* The caller's PIN: see pin.h. */
#include "pin.h"

#include "call.h"
#include "kolo/identity/v1/identity.pb-c.h"

int
svc_verify_pin(rpc_ctx *ctx, rpc_channel *identity, const char *pin)
{
	Kolo__Identity__V1__VerifyPinRequest req = KOLO__IDENTITY__V1__VERIFY_PIN_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	if (!pin[0])
		return err_set(ERR_INVALID_ARGUMENT, "missing_pin", "pin is required");
	req.user_id = (char *)rpc_ctx_user_id(ctx);
	req.pin = (char *)pin;
	return svc_call(ctx, identity, "VerifyPin", &req.base, &resp, SVC_CALL_INTERNAL);
}
