/* ReadOutbox, AckOutbox: the service's outbox (outbox/outbox.h), for
 * kolo-events alone (the caller table). */
#include "handlers.h"

#include "kolo/identity/v1/identity.pb-c.h"
#include "outbox/outbox.h"

IDN_HANDLER(read_outbox)
{
	const Kolo__Identity__V1__ReadOutboxRequest *in =
		(const Kolo__Identity__V1__ReadOutboxRequest *)req;
	Kolo__Identity__V1__ReadOutboxResponse *out = (Kolo__Identity__V1__ReadOutboxResponse *)resp;

	return outbox_serve_read(&out->events, &out->n_events, ctx, OUTBOX_IDENTITY, in->limit);
}

IDN_HANDLER(ack_outbox)
{
	const Kolo__Identity__V1__AckOutboxRequest *in = (const Kolo__Identity__V1__AckOutboxRequest *)req;
	Kolo__Identity__V1__AckOutboxResponse *out = (Kolo__Identity__V1__AckOutboxResponse *)resp;

	return outbox_serve_ack(&out->acked, ctx, OUTBOX_IDENTITY, in->ids, in->n_ids);
}
