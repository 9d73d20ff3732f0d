/* ReadOutbox, AckOutbox: the service's outbox (outbox/outbox.h), for
 * kolo-events alone (the caller table). */
#include "handlers.h"

#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "outbox/outbox.h"

int
wdr_read_outbox(rpc_ctx *ctx, const Kolo__Withdrawals__V1__ReadOutboxRequest *in,
		Kolo__Withdrawals__V1__ReadOutboxResponse *out)
{
	return outbox_serve_read(&out->events, &out->n_events, ctx, OUTBOX_WITHDRAWALS, in->limit);
}

int
wdr_ack_outbox(rpc_ctx *ctx, const Kolo__Withdrawals__V1__AckOutboxRequest *in,
	       Kolo__Withdrawals__V1__AckOutboxResponse *out)
{
	return outbox_serve_ack(&out->acked, ctx, OUTBOX_WITHDRAWALS, in->ids, in->n_ids);
}
