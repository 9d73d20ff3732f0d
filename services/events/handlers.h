/* handlers: one function per EventsService RPC (see methods.c). */
#ifndef KOLO_EVS_HANDLERS_H
#define KOLO_EVS_HANDLERS_H

#include "rpc/rpc.h"

#define EVS_HANDLER(name)                                                     \
	int evs_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,         \
			   ProtobufCMessage *resp)

#define EVS_STREAM_HANDLER(name)                                              \
	int evs_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,         \
			   rpc_stream *stream)

EVS_HANDLER(get_notification_preferences);
EVS_HANDLER(update_notification_preferences);
/* watch.c */
EVS_STREAM_HANDLER(watch_events);

#endif
