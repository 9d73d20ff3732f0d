/* handlers: one function per GroupsService RPC (see methods.c). */
#ifndef KOLO_GRP_HANDLERS_H
#define KOLO_GRP_HANDLERS_H

#include "rpc/rpc.h"

#define GRP_HANDLER(name)                                                     \
	int grp_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,         \
			   ProtobufCMessage *resp)

GRP_HANDLER(create_group);
GRP_HANDLER(get_group);
GRP_HANDLER(list_my_groups);
GRP_HANDLER(update_group);
GRP_HANDLER(add_member);
GRP_HANDLER(update_member_role);
GRP_HANDLER(remove_member);
GRP_HANDLER(list_members);
GRP_HANDLER(get_membership);
GRP_HANDLER(rotate_public_token);
GRP_HANDLER(revoke_public_token);
GRP_HANDLER(resolve_public_token);
GRP_HANDLER(list_proposals);
GRP_HANDLER(get_proposal);
GRP_HANDLER(approve_proposal);
GRP_HANDLER(object_proposal);
GRP_HANDLER(cancel_proposal);
/* Members' contributions, the officers' side (handlers_alloc.c). */
GRP_HANDLER(list_unallocated);
GRP_HANDLER(allocate_deposit);
GRP_HANDLER(list_allocations);

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

/* The calling thread's connection. */
KOLO_MUST_CHECK int grp_db(db_conn **out);

/* ERR_INVALID_ARGUMENT naming field unless id is a UUID. */
KOLO_MUST_CHECK int grp_check_id(const char *id, const char *field);

/* The caller must be a member (else ERR_NOT_FOUND, as if the group did not
 * exist), and with need_officer/need_owner an officer/OWNER (else
 * ERR_PERMISSION_DENIED). */
KOLO_MUST_CHECK int grp_require_role(const grp_view *v, int need_officer,
				     int need_owner);

/* 1 for a service call for nobody (an allowed caller's token, no user's
 * token): such a call reads any group. A caller that forwards a user's
 * token acts as that user and is checked like them. */
int grp_is_service_call(const rpc_ctx *ctx);

/* Tiers as messages in the arena (NULL when out of memory). */
Kolo__Groups__V1__ApprovalTier **
grp_tier_messages(mem_arena *a, const grp_tier *tiers, int n);

/* The user ids of the group's officers now, in the call's arena. */
KOLO_MUST_CHECK int grp_officer_ids(rpc_ctx *ctx, db_conn *c,
				    const char *group_id, char ***out,
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
Kolo__Groups__V1__Proposal *grp_proposal_message(rpc_ctx *ctx,
						 const grp_proposal *p);

/* One JSON log line for a change, with the acting user. */
void grp_log_change(rpc_ctx *ctx, const char *event, const char *group_id,
		    const char *subject);

#endif

/* Payer accounts (handlers_payer.c): AddPayerAccount, ListPayerAccounts,
 * RemovePayerAccount (users) and MatchPayer (internal: payments). */
GRP_HANDLER(add_payer_account);
GRP_HANDLER(list_payer_accounts);
GRP_HANDLER(remove_payer_account);
GRP_HANDLER(match_payer);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
GRP_HANDLER(read_outbox);
GRP_HANDLER(ack_outbox);

/* Dues (handlers_dues.c, DESIGN §15): contributions come from the ledger. */
extern rpc_channel *grp_ledger;
GRP_HANDLER(create_dues);
GRP_HANDLER(list_dues);
GRP_HANDLER(waive_dues);
GRP_HANDLER(get_dues_status);
GRP_HANDLER(get_member_statement);

#endif
