/* member: "is the caller in this group?", asked of kolo-groups. */
#ifndef KOLO_SVC_MEMBER_H
#define KOLO_SVC_MEMBER_H

#include "kolo/groups/v1/groups.pb-c.h"
#include "rpc/rpc.h"

/* The caller of ctx must be a member of group_id (an officer when
 * need_officer): else ERR_NOT_FOUND "group_not_found" (non-members cannot
 * probe groups) or ERR_PERMISSION_DENIED "officer_only". A service call
 * (service token, no user) passes without asking. *out, when not NULL,
 * gets the membership (NULL for a service call); it lives in ctx's arena.
 * ERR_INVALID_ARGUMENT when group_id is not a UUID. */
KOLO_MUST_CHECK int svc_check_member(rpc_ctx *ctx, rpc_channel *groups,
				     const char *group_id, int need_officer,
				     Kolo__Groups__V1__GetMembershipResponse **out);

#endif
