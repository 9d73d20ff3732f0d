/* handlers: one function per LedgerService RPC (see methods.c). */
#ifndef KOLO_LDG_HANDLERS_H
#define KOLO_LDG_HANDLERS_H

#include "kolo/common/v1/common.pb-c.h"
#include "rpc/rpc.h"

#define LDG_HANDLER(name)                                                     \
	int ldg_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,         \
			   ProtobufCMessage *resp)

LDG_HANDLER(post_entry);
LDG_HANDLER(get_balance);
LDG_HANDLER(list_entries);
LDG_HANDLER(get_entry);
LDG_HANDLER(place_hold);
LDG_HANDLER(release_hold);
LDG_HANDLER(capture_hold);

/* Members' contributions (handlers_alloc.c, DESIGN §15). */
LDG_HANDLER(allocate_entry);
LDG_HANDLER(list_allocations);
LDG_HANDLER(list_unallocated);
LDG_HANDLER(list_contributions);

/* Shared by the handlers' files: an entry as its message (in the call's
 * arena), and how long a call waits for its group's balance row. */
struct ldg_entry;
Kolo__Common__V1__LedgerEntry *ldg_entry_message(rpc_ctx *ctx, const struct ldg_entry *e);
int64_t ldg_wait_ms(rpc_ctx *ctx);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
LDG_HANDLER(read_outbox);
LDG_HANDLER(ack_outbox);

#endif
