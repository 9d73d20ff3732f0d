/* handlers: one function per GroupsService RPC (the method table is at the foot of handlers.c). */
#ifndef KOLO_GRP_HANDLERS_H
#define KOLO_GRP_HANDLERS_H

#include "rpc/rpc.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/groups/v1/contributions.pb-c.h"

int grp_create_group(rpc_ctx *ctx, const Kolo__Groups__V1__CreateGroupRequest *in,
		     Kolo__Groups__V1__CreateGroupResponse *out);
int grp_get_group(rpc_ctx *ctx, const Kolo__Groups__V1__GetGroupRequest *in,
		  Kolo__Groups__V1__GetGroupResponse *out);
int grp_list_my_groups(rpc_ctx *ctx, const Kolo__Groups__V1__ListMyGroupsRequest *in,
		       Kolo__Groups__V1__ListMyGroupsResponse *out);
int grp_update_group(rpc_ctx *ctx, const Kolo__Groups__V1__UpdateGroupRequest *in,
		     Kolo__Groups__V1__UpdateGroupResponse *out);
int grp_add_member(rpc_ctx *ctx, const Kolo__Groups__V1__AddMemberRequest *in,
		   Kolo__Groups__V1__AddMemberResponse *out);
int grp_update_member_role(rpc_ctx *ctx, const Kolo__Groups__V1__UpdateMemberRoleRequest *in,
			   Kolo__Groups__V1__UpdateMemberRoleResponse *out);
int grp_remove_member(rpc_ctx *ctx, const Kolo__Groups__V1__RemoveMemberRequest *in,
		      Kolo__Groups__V1__RemoveMemberResponse *out);
int grp_list_members(rpc_ctx *ctx, const Kolo__Groups__V1__ListMembersRequest *in,
		     Kolo__Groups__V1__ListMembersResponse *out);
int grp_get_membership(rpc_ctx *ctx, const Kolo__Groups__V1__GetMembershipRequest *in,
		       Kolo__Groups__V1__GetMembershipResponse *out);
int grp_rotate_public_token(rpc_ctx *ctx, const Kolo__Groups__V1__RotatePublicTokenRequest *in,
			    Kolo__Groups__V1__RotatePublicTokenResponse *out);
int grp_revoke_public_token(rpc_ctx *ctx, const Kolo__Groups__V1__RevokePublicTokenRequest *in,
			    Kolo__Groups__V1__RevokePublicTokenResponse *out);
int grp_resolve_public_token(rpc_ctx *ctx, const Kolo__Groups__V1__ResolvePublicTokenRequest *in,
			     Kolo__Groups__V1__ResolvePublicTokenResponse *out);
int grp_list_proposals(rpc_ctx *ctx, const Kolo__Groups__V1__ListProposalsRequest *in,
		       Kolo__Groups__V1__ListProposalsResponse *out);
int grp_get_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__GetProposalRequest *in,
		     Kolo__Groups__V1__GetProposalResponse *out);
int grp_approve_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__ApproveProposalRequest *in,
			 Kolo__Groups__V1__ApproveProposalResponse *out);
int grp_object_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__ObjectProposalRequest *in,
			Kolo__Groups__V1__ObjectProposalResponse *out);
int grp_cancel_proposal(rpc_ctx *ctx, const Kolo__Groups__V1__CancelProposalRequest *in,
			Kolo__Groups__V1__CancelProposalResponse *out);
/* Members' contributions, the officers' side (handlers_alloc.c). */
int grp_list_unallocated(rpc_ctx *ctx, const Kolo__Groups__V1__ListUnallocatedRequest *in,
			 Kolo__Groups__V1__ListUnallocatedResponse *out);
int grp_allocate_deposit(rpc_ctx *ctx, const Kolo__Groups__V1__AllocateDepositRequest *in,
			 Kolo__Groups__V1__AllocateDepositResponse *out);
int grp_list_allocations(rpc_ctx *ctx, const Kolo__Groups__V1__ListAllocationsRequest *in,
			 Kolo__Groups__V1__ListAllocationsResponse *out);

#ifndef KOLO_GRP_HANDLERS_INTERNAL
#define KOLO_GRP_HANDLERS_INTERNAL
/* Shared by the handler files. */
#include "db/db.h"
#include "idem/idem.h"
#include "kolo/groups/v1/groups.pb-c.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "proposals.h"
#include "store.h"

extern rpc_channel *grp_identity;
extern rpc_channel *grp_payments;

/* ERR_INVALID_ARGUMENT naming field unless id is a UUID. */
KOLO_MUST_CHECK int grp_check_id(const char *id, const char *field);

/* The caller must be a member (else ERR_NOT_FOUND, as if the group did not
 * exist), and with need_officer/need_owner an officer/OWNER (else
 * ERR_PERMISSION_DENIED). */
KOLO_MUST_CHECK int grp_require_role(const grp_view *v, int need_officer, int need_owner);

/* 1 for a service call for nobody (an allowed caller's token, no user's
 * token): such a call reads any group. A caller that forwards a user's
 * token acts as that user and is checked like them. */
int grp_is_service_call(const rpc_ctx *ctx);

/* Tiers as messages in the arena (NULL when out of memory). */
Kolo__Groups__V1__ApprovalTier **grp_tier_messages(mem_arena *a, const grp_tier *tiers, int n);

/* The user ids of the group's officers now, in the call's arena. */
KOLO_MUST_CHECK int grp_officer_ids(rpc_ctx *ctx, db_conn *c, const char *group_id, char ***out,
				    size_t *n);

/* Messages in the call's arena. */
Kolo__Groups__V1__Group *grp_group_message(rpc_ctx *ctx, const grp_view *v);
Kolo__Groups__V1__Member *grp_member_message(rpc_ctx *ctx, const grp_member *m,
					     const Kolo__Identity__V1__User *user);

/* identity.GetUser of user_id (internal), for a member's name and email. */
KOLO_MUST_CHECK int grp_lookup_user(rpc_ctx *ctx, const char *user_id,
				    Kolo__Identity__V1__User **out);

/* A proposal as a message, with the display names of the people it
 * names (identity; a name that cannot be read is left ""). */
Kolo__Groups__V1__Proposal *grp_proposal_message(rpc_ctx *ctx, const grp_proposal *p);

/* One JSON log line for a change, with the acting user. */
void grp_log_change(rpc_ctx *ctx, const char *event, const char *group_id, const char *subject);

#endif

/* Payer accounts (handlers_payer.c): AddPayerAccount, ListPayerAccounts,
 * RemovePayerAccount (users) and MatchPayer (internal: payments). */
int grp_add_payer_account(rpc_ctx *ctx, const Kolo__Groups__V1__AddPayerAccountRequest *in,
			  Kolo__Groups__V1__AddPayerAccountResponse *out);
int grp_list_payer_accounts(rpc_ctx *ctx, const Kolo__Groups__V1__ListPayerAccountsRequest *in,
			    Kolo__Groups__V1__ListPayerAccountsResponse *out);
int grp_remove_payer_account(rpc_ctx *ctx, const Kolo__Groups__V1__RemovePayerAccountRequest *in,
			     Kolo__Groups__V1__RemovePayerAccountResponse *out);
int grp_match_payer(rpc_ctx *ctx, const Kolo__Groups__V1__MatchPayerRequest *in,
		    Kolo__Groups__V1__MatchPayerResponse *out);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
int grp_read_outbox(rpc_ctx *ctx, const Kolo__Groups__V1__ReadOutboxRequest *in,
		    Kolo__Groups__V1__ReadOutboxResponse *out);
int grp_ack_outbox(rpc_ctx *ctx, const Kolo__Groups__V1__AckOutboxRequest *in,
		   Kolo__Groups__V1__AckOutboxResponse *out);

/* Dues (handlers_dues.c, DESIGN §15): contributions come from the ledger. */
extern rpc_channel *grp_ledger;
int grp_create_dues(rpc_ctx *ctx, const Kolo__Groups__V1__CreateDuesRequest *in,
		    Kolo__Groups__V1__CreateDuesResponse *out);
int grp_list_dues(rpc_ctx *ctx, const Kolo__Groups__V1__ListDuesRequest *in,
		  Kolo__Groups__V1__ListDuesResponse *out);
int grp_waive_dues(rpc_ctx *ctx, const Kolo__Groups__V1__WaiveDuesRequest *in,
		   Kolo__Groups__V1__WaiveDuesResponse *out);
int grp_get_dues_status(rpc_ctx *ctx, const Kolo__Groups__V1__GetDuesStatusRequest *in,
			Kolo__Groups__V1__GetDuesStatusResponse *out);
int grp_get_member_statement(rpc_ctx *ctx, const Kolo__Groups__V1__GetMemberStatementRequest *in,
			     Kolo__Groups__V1__GetMemberStatementResponse *out);

#endif
