/* Every WithdrawalsService RPC with its handler and who may call it. */
#include "withdrawals_service.h"

#include "handlers.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"

static const rpc_method wdr_methods[] = {
	{ "CreateWithdrawal", wdr_rpc_create_withdrawal, RPC_AUTH_USER },
	{ "ApproveWithdrawal", wdr_rpc_approve_withdrawal, RPC_AUTH_USER },
	{ "DeclineWithdrawal", wdr_rpc_decline_withdrawal, RPC_AUTH_USER },
	{ "GetWithdrawal", wdr_rpc_get_withdrawal, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListWithdrawals", wdr_rpc_list_withdrawals, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "RetryPayout", wdr_rpc_retry_payout, RPC_AUTH_USER },
};

const rpc_service wdr_rpc_service = {
	.descriptor = &kolo__withdrawals__v1__withdrawals_service__descriptor,
	.methods = wdr_methods,
	.n_methods = sizeof(wdr_methods) / sizeof(wdr_methods[0]),
};
