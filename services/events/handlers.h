/* handlers: one function per EventsService RPC (the method table is at the foot of handlers.c). */
#ifndef KOLO_EVS_HANDLERS_H
#define KOLO_EVS_HANDLERS_H

#include "rpc/rpc.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/events/v1/webhooks.pb-c.h"

int evs_get_notification_preferences(rpc_ctx *ctx,
				     const Kolo__Events__V1__GetNotificationPreferencesRequest *in,
				     Kolo__Events__V1__GetNotificationPreferencesResponse *out);
int evs_update_notification_preferences(
	rpc_ctx *ctx, const Kolo__Events__V1__UpdateNotificationPreferencesRequest *in,
	Kolo__Events__V1__UpdateNotificationPreferencesResponse *out);
/* watch.c */
int evs_watch_events(rpc_ctx *ctx, const Kolo__Events__V1__WatchEventsRequest *in,
		     rpc_stream *stream);

#endif
