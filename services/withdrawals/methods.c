/* Every WithdrawalsService RPC with its handler and who may call it.
 * RPC_AUTH_LIVE: money and membership acts, refused to a token whose
 * session ended (the process's follower of identity, svc/sessions.h). */
#include "withdrawals_service.h"

#include "handlers.h"
#include "svc/sessions.h"
#include "kolo/withdrawals/v1/withdrawals.pb-c.h"

static const rpc_method wdr_methods[] = {
	{ "CreateWithdrawal", wdr_rpc_create_withdrawal, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ApproveWithdrawal", wdr_rpc_approve_withdrawal, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "DeclineWithdrawal", wdr_rpc_decline_withdrawal, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "GetWithdrawal", wdr_rpc_get_withdrawal, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListWithdrawals", wdr_rpc_list_withdrawals, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "RetryPayout", wdr_rpc_retry_payout, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ReadOutbox", wdr_rpc_read_outbox, RPC_AUTH_INTERNAL },
	{ "AckOutbox", wdr_rpc_ack_outbox, RPC_AUTH_INTERNAL },
};

const rpc_service wdr_rpc_service = {
	.descriptor = &kolo__withdrawals__v1__withdrawals_service__descriptor,
	.methods = wdr_methods,
	.n_methods = sizeof(wdr_methods) / sizeof(wdr_methods[0]),
	.session_check = svc_sessions_check,
};
