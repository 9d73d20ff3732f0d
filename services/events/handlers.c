/* GetNotificationPreferences, UpdateNotificationPreferences. */
#include "handlers.h"

#include "evs.h"
#include "kolo/events/v1/events.pb-c.h"
#include "store.h"
#include "svc/call.h"
#include "events_service.h"
#include "webhook_handlers.h"

/* The caller's choices and the officers' always-told types, as a message. */
static int
evs_preferences(rpc_ctx *ctx, db_conn *c, Kolo__Events__V1__NotificationPreferences **out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	Kolo__Events__V1__NotificationPreferences *p = mem_arena_alloc(a, sizeof(*p));
	size_t n_types = 0;
	const char **always;

	(void)evt_types(&n_types);
	always = mem_arena_alloc(a, sizeof(*always) * (n_types + 1));
	if (!p || !always)
		return err_oom();
	kolo__events__v1__notification_preferences__init(p);
	p->n_officers_always = evs_officer_types(always, n_types);
	p->officers_always = (char **)always;
	*out = p;
	return evs_store_choices(&p->email, &p->n_email, &p->sms, &p->n_sms, a, c,
				 rpc_ctx_user_id(ctx));
}

int
evs_get_notification_preferences(rpc_ctx *ctx,
				 const Kolo__Events__V1__GetNotificationPreferencesRequest *in,
				 Kolo__Events__V1__GetNotificationPreferencesResponse *out)
{
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	return rc < 0 ? rc : evs_preferences(ctx, c, &out->preferences);
}

typedef struct evs_choices_tx {
	const char *user_id;
	const Kolo__Events__V1__UpdateNotificationPreferencesRequest *in;
} evs_choices_tx;

static int
evs_choices_body(db_conn *c, void *arg)
{
	const evs_choices_tx *t = arg;

	return evs_store_choices_set(c, t->user_id, t->in->email, t->in->n_email, t->in->sms,
				     t->in->n_sms);
}

int
evs_update_notification_preferences(
	rpc_ctx *ctx, const Kolo__Events__V1__UpdateNotificationPreferencesRequest *in,
	Kolo__Events__V1__UpdateNotificationPreferencesResponse *out)
{
	evs_choices_tx t = {.user_id = rpc_ctx_user_id(ctx), .in = in};
	db_conn *c = NULL;
	int rc = evs_check_choices(in->email, in->n_email);

	if (rc == 0)
		rc = evs_check_choices(in->sms, in->n_sms);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), evs_choices_body, &t);
	return rc < 0 ? rc : evs_preferences(ctx, c, &out->preferences);
}

/* --- the method table: every EventsService RPC with its handler and who may call it. */
static const rpc_method evs_methods[] = {
	RPC_METHOD(Kolo__Events__V1__, GetNotificationPreferences, evs_get_notification_preferences,
		   RPC_AUTH_USER),
	RPC_METHOD(Kolo__Events__V1__, UpdateNotificationPreferences,
		   evs_update_notification_preferences, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Events__V1__, CreateWebhook, evs_create_webhook, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Events__V1__, ListWebhooks, evs_list_webhooks, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Events__V1__, DeleteWebhook, evs_delete_webhook, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Events__V1__, ResumeWebhook, evs_resume_webhook, RPC_AUTH_USER),
	RPC_METHOD(Kolo__Events__V1__, ListWebhookDeliveries, evs_list_webhook_deliveries,
		   RPC_AUTH_USER),
	RPC_METHOD(Kolo__Events__V1__, RedeliverWebhookDelivery, evs_redeliver_webhook_delivery,
		   RPC_AUTH_USER),
};

/* Partners: a member's token, or a service caller's (callers.c). */
static const rpc_stream_method evs_stream_methods[] = {
	RPC_STREAM_METHOD(Kolo__Events__V1__, WatchEvents, evs_watch_events,
			  RPC_AUTH_USER | RPC_AUTH_INTERNAL),
};

const rpc_service evs_rpc_service = {
	.descriptor = &kolo__events__v1__events_service__descriptor,
	.methods = evs_methods,
	.n_methods = sizeof(evs_methods) / sizeof(evs_methods[0]),
	.stream_methods = evs_stream_methods,
	.n_stream_methods = sizeof(evs_stream_methods) / sizeof(evs_stream_methods[0]),
	.server_streaming = KOLO__EVENTS__V1__EVENTS_SERVICE__SERVER_STREAMING,
};
