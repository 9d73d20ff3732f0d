/* Every RPC of the service with who may call it. A NULL handler is
 * answered UNIMPLEMENTED until its issue fills it in. */
#include "methods.h"

#include "kolo/groups/v1/groups.pb-c.h"

static const rpc_method grp_methods[] = {
	{ "CreateGroup", NULL, RPC_AUTH_USER },
	{ "GetGroup", NULL, RPC_AUTH_USER },
	{ "ListMyGroups", NULL, RPC_AUTH_USER },
	{ "UpdateGroup", NULL, RPC_AUTH_USER },
	{ "AddMember", NULL, RPC_AUTH_USER },
	{ "UpdateMemberRole", NULL, RPC_AUTH_USER },
	{ "RemoveMember", NULL, RPC_AUTH_USER },
	{ "ListMembers", NULL, RPC_AUTH_USER },
	{ "GetMembership", NULL, RPC_AUTH_INTERNAL },
	{ "RotatePublicToken", NULL, RPC_AUTH_USER },
	{ "RevokePublicToken", NULL, RPC_AUTH_USER },
	{ "ResolvePublicToken", NULL, RPC_AUTH_INTERNAL },
};

const rpc_service grp_rpc_service = {
	.descriptor = &kolo__groups__v1__groups_service__descriptor,
	.methods = grp_methods,
	.n_methods = sizeof(grp_methods) / sizeof(grp_methods[0]),
};
