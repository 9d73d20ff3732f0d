/* Every RPC of the service with who may call it. A NULL handler is
 * answered UNIMPLEMENTED until its issue fills it in. */
#include "payments_service.h"

#include "kolo/payments/v1/payments.pb-c.h"

static const rpc_method pay_methods[] = {
	{ "ProvisionAccount", NULL, RPC_AUTH_INTERNAL },
	{ "GetAccount", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "HandleWebhook", NULL, RPC_AUTH_INTERNAL },
	{ "SimulateDeposit", NULL, RPC_AUTH_USER },
	{ "CreatePayout", NULL, RPC_AUTH_INTERNAL },
	{ "GetPayout", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListPayouts", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListBanks", NULL, RPC_AUTH_USER },
	{ "ResolveBankAccount", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
};

const rpc_service pay_rpc_service = {
	.descriptor = &kolo__payments__v1__payments_service__descriptor,
	.methods = pay_methods,
	.n_methods = sizeof(pay_methods) / sizeof(pay_methods[0]),
};
