/* webhook_handlers: EventsService's partner webhook RPCs (methods.c).
 * Each is a user's call; only the group's officers may make it. */
#ifndef KOLO_WEBHOOK_HANDLERS_H
#define KOLO_WEBHOOK_HANDLERS_H

#include "rpc/rpc.h"

#define WHK_HANDLER(name)                                                      \
	int evs_rpc_##name(rpc_ctx *ctx, const ProtobufCMessage *req,          \
			   ProtobufCMessage *resp)

WHK_HANDLER(create_webhook);
WHK_HANDLER(list_webhooks);
WHK_HANDLER(delete_webhook);
WHK_HANDLER(resume_webhook);
WHK_HANDLER(list_webhook_deliveries);
WHK_HANDLER(redeliver_webhook_delivery);

#endif
