/* handlers: one function per LedgerService RPC (see methods.c). */
#ifndef KOLO_LDG_HANDLERS_H
#define KOLO_LDG_HANDLERS_H

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

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
LDG_HANDLER(read_outbox);
LDG_HANDLER(ack_outbox);

#endif
