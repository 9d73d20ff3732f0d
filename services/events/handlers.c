/* GetNotificationPreferences, UpdateNotificationPreferences. */
#include "handlers.h"

#include "evs.h"
#include "kolo/events/v1/events.pb-c.h"
#include "store.h"
#include "svc/call.h"

/* The caller's choices and the officers' always-told types, as a message. */
static int evs_preferences(rpc_ctx *ctx, db_conn *c,
			   Kolo__Events__V1__NotificationPreferences **out)
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
	return evs_store_choices(c, a, rpc_ctx_user_id(ctx), &p->email, &p->n_email, &p->sms,
				 &p->n_sms);
}

EVS_HANDLER(get_notification_preferences)
{
	Kolo__Events__V1__GetNotificationPreferencesResponse *out =
		(Kolo__Events__V1__GetNotificationPreferencesResponse *)resp;
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	return rc < 0 ? rc : evs_preferences(ctx, c, &out->preferences);
}

typedef struct evs_choices_tx {
	const char *user_id;
	const Kolo__Events__V1__UpdateNotificationPreferencesRequest *in;
} evs_choices_tx;

static int evs_choices_body(db_conn *c, void *arg)
{
	const evs_choices_tx *t = arg;

	return evs_store_choices_set(c, t->user_id, t->in->email, t->in->n_email, t->in->sms,
				     t->in->n_sms);
}

EVS_HANDLER(update_notification_preferences)
{
	const Kolo__Events__V1__UpdateNotificationPreferencesRequest *in =
		(const Kolo__Events__V1__UpdateNotificationPreferencesRequest *)req;
	Kolo__Events__V1__UpdateNotificationPreferencesResponse *out =
		(Kolo__Events__V1__UpdateNotificationPreferencesResponse *)resp;
	evs_choices_tx t = { .user_id = rpc_ctx_user_id(ctx), .in = in };
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
