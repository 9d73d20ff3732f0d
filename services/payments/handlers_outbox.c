/* ReadOutbox, AckOutbox: the service's outbox (outbox/outbox.h), for
 * kolo-events alone (the caller table). */
#include "handlers.h"

#include "kolo/payments/v1/payments.pb-c.h"
#include "outbox/outbox.h"

int
pay_read_outbox(rpc_ctx *ctx, const Kolo__Payments__V1__ReadOutboxRequest *in,
		Kolo__Payments__V1__ReadOutboxResponse *out)
{
	return outbox_serve_read(&out->events, &out->n_events, ctx, OUTBOX_PAYMENTS, in->limit);
}

int
pay_ack_outbox(rpc_ctx *ctx, const Kolo__Payments__V1__AckOutboxRequest *in,
	       Kolo__Payments__V1__AckOutboxResponse *out)
{
	return outbox_serve_ack(&out->acked, ctx, OUTBOX_PAYMENTS, in->ids, in->n_ids);
}
