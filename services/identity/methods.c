/* Every RPC of the service with who may call it. A NULL handler is
 * answered UNIMPLEMENTED until its issue fills it in. */
#include "methods.h"

#include "kolo/identity/v1/identity.pb-c.h"

static const rpc_method idn_methods[] = {
	{ "Register", NULL, RPC_AUTH_NONE },
	{ "Login", NULL, RPC_AUTH_NONE },
	{ "Refresh", NULL, RPC_AUTH_NONE },
	{ "Logout", NULL, RPC_AUTH_NONE },
	{ "GetMe", NULL, RPC_AUTH_USER },
	{ "GetUser", NULL, RPC_AUTH_INTERNAL },
	{ "FindUserByEmail", NULL, RPC_AUTH_INTERNAL },
	{ "ListSessions", NULL, RPC_AUTH_USER },
	{ "RevokeSession", NULL, RPC_AUTH_USER },
	{ "ListActivity", NULL, RPC_AUTH_USER },
	{ "SetPin", NULL, RPC_AUTH_USER },
	{ "ChangePin", NULL, RPC_AUTH_USER },
	{ "VerifyPin", NULL, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ResetPin", NULL, RPC_AUTH_USER },
	{ "GetSigningKeys", NULL, RPC_AUTH_NONE },
};

const rpc_service idn_rpc_service = {
	.descriptor = &kolo__identity__v1__identity_service__descriptor,
	.methods = idn_methods,
	.n_methods = sizeof(idn_methods) / sizeof(idn_methods[0]),
};
