/* Every GroupsService RPC with its handler and who may call it.
 * RPC_AUTH_LIVE: money and membership acts, refused to a token whose
 * session ended (the process's follower of identity, svc/sessions.h). */
#include "groups_service.h"

#include "handlers.h"
#include "svc/sessions.h"
#include "kolo/groups/v1/groups.pb-c.h"

static const rpc_method grp_methods[] = {
	{ "CreateGroup", grp_rpc_create_group, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "GetGroup", grp_rpc_get_group, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "ListMyGroups", grp_rpc_list_my_groups, RPC_AUTH_USER },
	{ "UpdateGroup", grp_rpc_update_group, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "AddMember", grp_rpc_add_member, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "UpdateMemberRole", grp_rpc_update_member_role, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "RemoveMember", grp_rpc_remove_member, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ListMembers", grp_rpc_list_members, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "GetMembership", grp_rpc_get_membership, RPC_AUTH_INTERNAL },
	{ "RotatePublicToken", grp_rpc_rotate_public_token, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "RevokePublicToken", grp_rpc_revoke_public_token, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ResolvePublicToken", grp_rpc_resolve_public_token, RPC_AUTH_INTERNAL },
	{ "ListProposals", grp_rpc_list_proposals, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "GetProposal", grp_rpc_get_proposal, RPC_AUTH_USER },
	{ "ApproveProposal", grp_rpc_approve_proposal, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ObjectProposal", grp_rpc_object_proposal, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "CancelProposal", grp_rpc_cancel_proposal, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ReadOutbox", grp_rpc_read_outbox, RPC_AUTH_INTERNAL },
	{ "AckOutbox", grp_rpc_ack_outbox, RPC_AUTH_INTERNAL },
	{ "AddPayerAccount", grp_rpc_add_payer_account, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ListPayerAccounts", grp_rpc_list_payer_accounts, RPC_AUTH_USER },
	{ "RemovePayerAccount", grp_rpc_remove_payer_account, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "MatchPayer", grp_rpc_match_payer, RPC_AUTH_INTERNAL },
	{ "ListUnallocated", grp_rpc_list_unallocated, RPC_AUTH_USER },
	{ "AllocateDeposit", grp_rpc_allocate_deposit, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ListAllocations", grp_rpc_list_allocations, RPC_AUTH_USER },
	{ "CreateDues", grp_rpc_create_dues, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "ListDues", grp_rpc_list_dues, RPC_AUTH_USER },
	{ "WaiveDues", grp_rpc_waive_dues, RPC_AUTH_USER | RPC_AUTH_LIVE },
	{ "GetDuesStatus", grp_rpc_get_dues_status, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
	{ "GetMemberStatement", grp_rpc_get_member_statement, RPC_AUTH_USER },
};

const rpc_service grp_rpc_service = {
	.descriptor = &kolo__groups__v1__groups_service__descriptor,
	.methods = grp_methods,
	.n_methods = sizeof(grp_methods) / sizeof(grp_methods[0]),
	.session_check = svc_sessions_check,
};
