/* webhook_handlers: EventsService's partner webhook RPCs (the table at the foot of handlers.c).
 * Each is a user's call; only the group's officers may make it. */
#ifndef KOLO_WEBHOOK_HANDLERS_H
#define KOLO_WEBHOOK_HANDLERS_H

#include "rpc/rpc.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/events/v1/webhooks.pb-c.h"

int evs_create_webhook(rpc_ctx *ctx, const Kolo__Events__V1__CreateWebhookRequest *in,
		       Kolo__Events__V1__CreateWebhookResponse *out);
int evs_list_webhooks(rpc_ctx *ctx, const Kolo__Events__V1__ListWebhooksRequest *in,
		      Kolo__Events__V1__ListWebhooksResponse *out);
int evs_delete_webhook(rpc_ctx *ctx, const Kolo__Events__V1__DeleteWebhookRequest *in,
		       Kolo__Events__V1__DeleteWebhookResponse *out);
int evs_resume_webhook(rpc_ctx *ctx, const Kolo__Events__V1__ResumeWebhookRequest *in,
		       Kolo__Events__V1__ResumeWebhookResponse *out);
int evs_list_webhook_deliveries(rpc_ctx *ctx,
				const Kolo__Events__V1__ListWebhookDeliveriesRequest *in,
				Kolo__Events__V1__ListWebhookDeliveriesResponse *out);
int evs_redeliver_webhook_delivery(rpc_ctx *ctx,
				   const Kolo__Events__V1__RedeliverWebhookDeliveryRequest *in,
				   Kolo__Events__V1__RedeliverWebhookDeliveryResponse *out);

#endif
