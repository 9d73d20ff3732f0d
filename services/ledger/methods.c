/* Every RPC of the service with who may call it. A NULL handler is
 * answered UNIMPLEMENTED until its issue fills it in. */
#include "ledger_service.h"

#include "kolo/ledger/v1/ledger.pb-c.h"

static const rpc_method ldg_methods[] = {
	{ "PostEntry", NULL, RPC_AUTH_INTERNAL },
	{ "GetBalance", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListEntries", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "GetEntry", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
};

const rpc_service ldg_rpc_service = {
	.descriptor = &kolo__ledger__v1__ledger_service__descriptor,
	.methods = ldg_methods,
	.n_methods = sizeof(ldg_methods) / sizeof(ldg_methods[0]),
};
