/* ReadOutbox, AckOutbox: the service's outbox (outbox/outbox.h), for
 * kolo-events alone (the caller table). */
#include "handlers.h"

#include "kolo/groups/v1/groups.pb-c.h"
#include "outbox/outbox.h"

int
grp_read_outbox(rpc_ctx *ctx, const Kolo__Groups__V1__ReadOutboxRequest *in,
		Kolo__Groups__V1__ReadOutboxResponse *out)
{
	return outbox_serve_read(&out->events, &out->n_events, ctx, OUTBOX_GROUPS, in->limit);
}

int
grp_ack_outbox(rpc_ctx *ctx, const Kolo__Groups__V1__AckOutboxRequest *in,
	       Kolo__Groups__V1__AckOutboxResponse *out)
{
	return outbox_serve_ack(&out->acked, ctx, OUTBOX_GROUPS, in->ids, in->n_ids);
}
