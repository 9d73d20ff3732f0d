/* Every EventsService RPC with its handler and who may call it. */
#include "events_service.h"

#include "handlers.h"
#include "webhook_handlers.h"
#include "kolo/events/v1/events.pb-c.h"

static const rpc_method evs_methods[] = {
	{ "GetNotificationPreferences", evs_rpc_get_notification_preferences, RPC_AUTH_USER },
	{ "UpdateNotificationPreferences", evs_rpc_update_notification_preferences,
	  RPC_AUTH_USER },
	{ "CreateWebhook", evs_rpc_create_webhook, RPC_AUTH_USER },
	{ "ListWebhooks", evs_rpc_list_webhooks, RPC_AUTH_USER },
	{ "DeleteWebhook", evs_rpc_delete_webhook, RPC_AUTH_USER },
	{ "ResumeWebhook", evs_rpc_resume_webhook, RPC_AUTH_USER },
	{ "ListWebhookDeliveries", evs_rpc_list_webhook_deliveries, RPC_AUTH_USER },
	{ "RedeliverWebhookDelivery", evs_rpc_redeliver_webhook_delivery, RPC_AUTH_USER },
};

/* Partners: a member's token, or a service caller's (callers.c). */
static const rpc_stream_method evs_stream_methods[] = {
	{ "WatchEvents", evs_rpc_watch_events, RPC_AUTH_USER | RPC_AUTH_INTERNAL },
};

const rpc_service evs_rpc_service = {
	.descriptor = &kolo__events__v1__events_service__descriptor,
	.methods = evs_methods,
	.n_methods = sizeof(evs_methods) / sizeof(evs_methods[0]),
	.stream_methods = evs_stream_methods,
	.n_stream_methods = sizeof(evs_stream_methods) / sizeof(evs_stream_methods[0]),
	.server_streaming = KOLO__EVENTS__V1__EVENTS_SERVICE__SERVER_STREAMING,
};
