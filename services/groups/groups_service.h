/* kolo-groups as other code sees it: its method table and wiring. */
#ifndef KOLO_GROUPS_METHODS_H
#define KOLO_GROUPS_METHODS_H

#include "rpc/rpc.h"

extern const rpc_service grp_rpc_service;

/* The services groups calls: identity (users by email, names) and
 * payments (accounts). Borrowed; they must outlive the server. */
void grp_use_channels(rpc_channel *identity, rpc_channel *payments);
/* The ledger groups asks for contributions and allocations (DESIGN §15). */
void grp_use_ledger(rpc_channel *ledger);

/* The ledger, for members' contributions (dues; borrowed, as above). */
void grp_use_ledger(rpc_channel *ledger);

/* How many groups one user may create per day (KOLO_GROUPS_CREATE_PER_DAY;
 * 0, the default before this is called, is no limit). */
void grp_limits_configure(int create_per_day);

#endif
