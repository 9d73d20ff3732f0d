/* Every RPC of the service with who may call it. A NULL handler is
 * answered UNIMPLEMENTED until its issue fills it in. */
#include "withdrawals_service.h"

#include "kolo/withdrawals/v1/withdrawals.pb-c.h"

static const rpc_method wdr_methods[] = {
	{ "CreateWithdrawal", NULL, RPC_AUTH_USER },
	{ "ApproveWithdrawal", NULL, RPC_AUTH_USER },
	{ "DeclineWithdrawal", NULL, RPC_AUTH_USER },
	{ "GetWithdrawal", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListWithdrawals", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "RetryPayout", NULL, RPC_AUTH_USER },
};

const rpc_service wdr_rpc_service = {
	.descriptor = &kolo__withdrawals__v1__withdrawals_service__descriptor,
	.methods = wdr_methods,
	.n_methods = sizeof(wdr_methods) / sizeof(wdr_methods[0]),
};
