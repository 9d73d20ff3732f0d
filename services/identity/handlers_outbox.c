/* ReadOutbox, AckOutbox: the service's outbox (outbox/outbox.h), for
 * kolo-events alone (the caller table). */
#include "handlers.h"

#include "kolo/identity/v1/identity.pb-c.h"
#include "outbox/outbox.h"

int
idn_read_outbox(rpc_ctx *ctx, const Kolo__Identity__V1__ReadOutboxRequest *in,
		Kolo__Identity__V1__ReadOutboxResponse *out)
{
	return outbox_serve_read(&out->events, &out->n_events, ctx, OUTBOX_IDENTITY, in->limit);
}

int
idn_ack_outbox(rpc_ctx *ctx, const Kolo__Identity__V1__AckOutboxRequest *in,
	       Kolo__Identity__V1__AckOutboxResponse *out)
{
	return outbox_serve_ack(&out->acked, ctx, OUTBOX_IDENTITY, in->ids, in->n_ids);
}
