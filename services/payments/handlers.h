/* handlers: one function per PaymentsService RPC (see methods.c). */
#ifndef KOLO_PAY_HANDLERS_H
#define KOLO_PAY_HANDLERS_H

#include "rpc/rpc.h"

#define PAY_HANDLER(name)                                                     \
	int pay_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,         \
			   ProtobufCMessage *resp)

PAY_HANDLER(provision_account);
PAY_HANDLER(get_account);
PAY_HANDLER(handle_webhook);
PAY_HANDLER(simulate_deposit);
PAY_HANDLER(reverse_deposit);
PAY_HANDLER(create_payout);
PAY_HANDLER(get_payout);
PAY_HANDLER(list_payouts);
PAY_HANDLER(list_banks);
PAY_HANDLER(resolve_bank_account);
PAY_HANDLER(start_kyc_check);
PAY_HANDLER(get_kyc_check);

/* ReadOutbox, AckOutbox (handlers_outbox.c): kolo-events reads the
 * service's events and acks what it stored. */
PAY_HANDLER(read_outbox);
PAY_HANDLER(ack_outbox);

#endif
