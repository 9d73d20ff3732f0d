/* Every EventsService RPC with its handler and who may call it. */
#include "events_service.h"

#include "handlers.h"
#include "kolo/events/v1/events.pb-c.h"

static const rpc_method evs_methods[] = {
	{ "GetNotificationPreferences", evs_rpc_get_notification_preferences, RPC_AUTH_USER },
	{ "UpdateNotificationPreferences", evs_rpc_update_notification_preferences,
	  RPC_AUTH_USER },
};

const rpc_service evs_rpc_service = {
	.descriptor = &kolo__events__v1__events_service__descriptor,
	.methods = evs_methods,
	.n_methods = sizeof(evs_methods) / sizeof(evs_methods[0]),
};
