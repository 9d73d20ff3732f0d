/* kolo-ledger as other code sees it: its method table and wiring. */
#ifndef KOLO_LEDGER_SERVICE_H
#define KOLO_LEDGER_SERVICE_H

#include "rpc/rpc.h"

extern const rpc_service ldg_rpc_service;

/* The service ledger calls: groups (membership of readers). Borrowed; it
 * must outlive the server. */
void ldg_use_channels(rpc_channel *groups);

#endif
