/* pin: the caller's PIN, checked by identity before a money or role act
 * (groups' proposals, allocations and waivers; withdrawals). */
#ifndef KOLO_SVC_PIN_H
#define KOLO_SVC_PIN_H

#include "err/err.h"
#include "rpc/rpc.h"

/* identity.VerifyPin of ctx's user and pin, an internal call on identity
 * (borrowed). ERR_INVALID_ARGUMENT `missing_pin` for "", else identity's
 * answer with its code and reason (a wrong PIN counts towards its lock). */
KOLO_MUST_CHECK int svc_verify_pin(rpc_ctx *ctx, rpc_channel *identity, const char *pin);

#endif
