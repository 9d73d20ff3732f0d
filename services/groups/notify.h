/* notify: the events of groups (DESIGN §16, docs/events.md), written into
 * groups_outbox in the transaction of the change, after the group's lock. */
#ifndef KOLO_GRP_NOTIFY_H
#define KOLO_GRP_NOTIFY_H

#include "store.h"

/* member.added or member.removed (type) of user_id in group_id with role;
 * actor NULL when a proposal made it; name "" or NULL when not known. */
KOLO_MUST_CHECK int grp_notify_member(db_conn *c, const char *type, const char *group_id,
				      const char *user_id, const char *actor, grp_role role,
				      const char *name);

/* The event of proposal id as it stands now (read here): proposal.opened,
 * passed, applied or rejected (type); actor who acted (NULL: nobody). */
KOLO_MUST_CHECK int grp_notify_proposal(db_conn *c, mem_arena *a, const char *type, const char *id,
					const char *actor);

/* The event a proposal's move to `to` writes (NULL: none). */
const char *grp_notify_proposal_type(grp_prop_state to);

#endif
