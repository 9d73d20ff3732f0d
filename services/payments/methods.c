/* Every PaymentsService RPC with its handler and who may call it. */
#include "payments_service.h"

#include "handlers.h"
#include "kolo/payments/v1/payments.pb-c.h"

static const rpc_method pay_methods[] = {
	{ "ProvisionAccount", pay_rpc_provision_account, RPC_AUTH_INTERNAL },
	{ "GetAccount", pay_rpc_get_account, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "HandleWebhook", pay_rpc_handle_webhook, RPC_AUTH_INTERNAL },
	{ "SimulateDeposit", pay_rpc_simulate_deposit, RPC_AUTH_USER },
	{ "ReverseDeposit", pay_rpc_reverse_deposit, RPC_AUTH_USER },
	{ "CreatePayout", pay_rpc_create_payout, RPC_AUTH_INTERNAL },
	{ "GetPayout", pay_rpc_get_payout, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListPayouts", pay_rpc_list_payouts, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListBanks", pay_rpc_list_banks, RPC_AUTH_USER },
	{ "ResolveBankAccount", pay_rpc_resolve_bank_account, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "StartKycCheck", pay_rpc_start_kyc_check, RPC_AUTH_INTERNAL },
	{ "GetKycCheck", pay_rpc_get_kyc_check, RPC_AUTH_INTERNAL },
	{ "ReadOutbox", pay_rpc_read_outbox, RPC_AUTH_INTERNAL },
	{ "AckOutbox", pay_rpc_ack_outbox, RPC_AUTH_INTERNAL },
};

const rpc_service pay_rpc_service = {
	.descriptor = &kolo__payments__v1__payments_service__descriptor,
	.methods = pay_methods,
	.n_methods = sizeof(pay_methods) / sizeof(pay_methods[0]),
};
