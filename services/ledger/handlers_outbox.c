/* ReadOutbox, AckOutbox: the service's outbox (outbox/outbox.h), for
 * kolo-events alone (the caller table). */
#include "handlers.h"

#include "kolo/ledger/v1/ledger.pb-c.h"
#include "outbox/outbox.h"

int
ldg_read_outbox(rpc_ctx *ctx, const Kolo__Ledger__V1__ReadOutboxRequest *in,
		Kolo__Ledger__V1__ReadOutboxResponse *out)
{
	return outbox_serve_read(&out->events, &out->n_events, ctx, OUTBOX_LEDGER, in->limit);
}

int
ldg_ack_outbox(rpc_ctx *ctx, const Kolo__Ledger__V1__AckOutboxRequest *in,
	       Kolo__Ledger__V1__AckOutboxResponse *out)
{
	return outbox_serve_ack(&out->acked, ctx, OUTBOX_LEDGER, in->ids, in->n_ids);
}
