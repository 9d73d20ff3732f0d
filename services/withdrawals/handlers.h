/* handlers: one function per WithdrawalsService RPC (see methods.c). */
#ifndef KOLO_WDR_HANDLERS_H
#define KOLO_WDR_HANDLERS_H

#include "rpc/rpc.h"

#define WDR_HANDLER(name)                                                     \
	int wdr_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,         \
			   ProtobufCMessage *resp)

WDR_HANDLER(create_withdrawal);
WDR_HANDLER(approve_withdrawal);
WDR_HANDLER(decline_withdrawal);
WDR_HANDLER(get_withdrawal);
WDR_HANDLER(list_withdrawals);
WDR_HANDLER(retry_payout);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
WDR_HANDLER(read_outbox);
WDR_HANDLER(ack_outbox);

#endif
