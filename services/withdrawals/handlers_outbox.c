/* ReadOutbox, AckOutbox: the service's outbox (outbox/outbox.h), for
 * kolo-events alone (the caller table). */
#include "handlers.h"

#include "kolo/withdrawals/v1/withdrawals.pb-c.h"
#include "outbox/outbox.h"

WDR_HANDLER(read_outbox)
{
	const Kolo__Withdrawals__V1__ReadOutboxRequest *in =
		(const Kolo__Withdrawals__V1__ReadOutboxRequest *)req;
	Kolo__Withdrawals__V1__ReadOutboxResponse *out = (Kolo__Withdrawals__V1__ReadOutboxResponse *)resp;

	return outbox_serve_read(&out->events, &out->n_events, ctx, OUTBOX_WITHDRAWALS, in->limit);
}

WDR_HANDLER(ack_outbox)
{
	const Kolo__Withdrawals__V1__AckOutboxRequest *in = (const Kolo__Withdrawals__V1__AckOutboxRequest *)req;
	Kolo__Withdrawals__V1__AckOutboxResponse *out = (Kolo__Withdrawals__V1__AckOutboxResponse *)resp;

	return outbox_serve_ack(&out->acked, ctx, OUTBOX_WITHDRAWALS, in->ids, in->n_ids);
}
