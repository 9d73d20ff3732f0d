/* membership: "is the caller in this group?", asked of kolo-groups. */
#ifndef KOLO_MEMBERSHIP_H
#define KOLO_MEMBERSHIP_H

#include "kolo/groups/v1/groups.pb-c.h"
#include "rpc/rpc.h"

/* The caller of ctx must be a member of group_id (an officer when
 * need_officer): else ERR_NOT_FOUND "group_not_found" (non-members cannot
 * probe groups) or ERR_PERMISSION_DENIED "officer_only". A service call
 * (service token, no user) passes without asking. *out, when not NULL,
 * gets the membership (NULL for a service call); it lives in ctx's arena.
 * ERR_INVALID_ARGUMENT when group_id is not a UUID. */
KOLO_MUST_CHECK int membership_check(rpc_ctx *ctx, rpc_channel *groups, const char *group_id,
				     int need_officer,
				     Kolo__Groups__V1__GetMembershipResponse **out);

/* ERR_PERMISSION_DENIED "officer_only" unless m (a membership membership_check
 * gave; NULL for a service call, which passes) is an officer's. */
KOLO_MUST_CHECK int membership_require_officer(const Kolo__Groups__V1__GetMembershipResponse *m);

/* membership_check(ctx, groups, group_id, 0, NULL) for a call that only
 * reads: a pass is remembered for the reader cache's time to live, so a
 * burst of reads by one user asks kolo-groups once. The price: a member
 * removed meanwhile may go on reading for up to that long. A refusal is
 * never remembered (someone just added reads at once). */
KOLO_MUST_CHECK int membership_check_reader(rpc_ctx *ctx, rpc_channel *groups,
					    const char *group_id);

/* Sets the reader cache's time to live (KOLO_MEMBER_CACHE_MS; 0 turns it
 * off and forgets every pass remembered so far). */
void membership_reader_cache_set_ttl(int64_t ttl_ms);

#endif
