/* CreateWebhook, ListWebhooks, DeleteWebhook, ResumeWebhook,
 * ListWebhookDeliveries, RedeliverWebhookDelivery. */
#include "webhook_handlers.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "evs.h"
#include "idem/idem.h"
#include "kolo/events/v1/events.pb-c.h"
#include "kolo/events/v1/webhooks.pb-c.h"
#include "membership/membership.h"
#include "store_webhooks.h"
#include "svc/call.h"
#include "text/text.h"
#include "webhook_addr.h"
#include "webhook_url.h"
#include "webhooks.h"

/* The caller must be an officer of group_id. */
static int
whk_officer(rpc_ctx *ctx, const char *group_id)
{
	return membership_check(ctx, evs_current()->sources[EVS_SRC_GROUPS], group_id, 1, NULL);
}

static int
whk_check_id(const char *id, const char *field)
{
	if (!text_is_uuid(id))
		return err_invalid_id(field);
	return 0;
}

static Kolo__Events__V1__Webhook *
whk_webhook_message(mem_arena *a, const whk_endpoint *e)
{
	Kolo__Events__V1__Webhook *m = mem_arena_alloc(a, sizeof(*m));

	if (!m)
		return NULL;
	kolo__events__v1__webhook__init(m);
	m->id = (char *)e->id;
	m->group_id = (char *)e->group_id;
	m->url = (char *)e->url;
	m->events = e->events;
	m->n_events = e->n_events;
	m->status = (char *)e->status;
	m->created_by = (char *)e->created_by;
	m->created_at = (char *)e->created_at;
	m->failing_since = (char *)e->failing_since;
	m->paused_at = (char *)e->paused_at;
	return m;
}

static Kolo__Events__V1__WebhookDelivery *
whk_delivery_message(mem_arena *a, const whk_delivery_row *d)
{
	Kolo__Events__V1__WebhookDelivery *m = mem_arena_alloc(a, sizeof(*m));

	if (!m)
		return NULL;
	kolo__events__v1__webhook_delivery__init(m);
	m->id = (char *)d->id;
	m->webhook_id = (char *)d->endpoint_id;
	m->event_id = (char *)d->event_id;
	m->event_type = (char *)d->event_type;
	m->seq = d->seq;
	m->status = (char *)d->status;
	m->attempts = d->attempts;
	m->next_attempt_at = (char *)d->next_attempt_at;
	m->last_status_code = d->last_status_code;
	m->last_error = (char *)d->last_error;
	m->last_response = (char *)d->last_response;
	m->delivered_at = (char *)d->delivered_at;
	m->created_at = (char *)d->created_at;
	return m;
}

/* The URL a partner gave, checked for shape and for where it leads
 * (every address public), before anything is stored. */
static int
whk_check_url(const char *url)
{
	const whk_config *cfg = whk_current();
	whk_url u;
	whk_resolved r;
	int rc = whk_url_parse(&u, url, cfg->send.allow_http_loopback);

	return rc < 0 ? rc : whk_addr_resolve(&r, u.host, cfg->send.allow_http_loopback);
}

typedef struct whk_create_tx {
	const Kolo__Events__V1__CreateWebhookRequest *in;
	const char *user_id;
	const unsigned char *sealed;
	size_t n_sealed;
	mem_arena *arena;
	whk_endpoint endpoint; /* out */
	idem_key key;
	Kolo__Events__V1__CreateWebhookResponse *out;
	unsigned char *replay_sealed; /* a replay's: its endpoint's secret */
	size_t n_replay_sealed;
} whk_create_tx;

/* The endpoint and its reply, stored under the call's key (if any)
 * without the secret (it is stored sealed in the endpoint only;
 * idem_db_tx). */
static int
whk_create_body(db_conn *c, void *arg)
{
	whk_create_tx *t = arg;
	int rc;

	rc = whk_store_create(&t->endpoint, t->arena, c, t->in->group_id, t->in->url, t->in->events,
			      t->in->n_events, t->sealed, t->n_sealed, t->user_id);
	if (rc == 0) {
		t->out->id = (char *)t->endpoint.id;
		t->out->webhook = whk_webhook_message(t->arena, &t->endpoint);
		rc = t->out->webhook ? 0 : err_oom();
	}
	return rc;
}

/* A key already answered reads its endpoint's sealed secret. */
static int
whk_create_replayed(db_conn *c, void *arg)
{
	whk_create_tx *t = arg;

	return whk_store_sealed(&t->replay_sealed, &t->n_replay_sealed, t->arena, c, t->out->id);
}

int
evs_create_webhook(rpc_ctx *ctx, const Kolo__Events__V1__CreateWebhookRequest *in,
		   Kolo__Events__V1__CreateWebhookResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	whk_create_tx t = {.in = in, .user_id = rpc_ctx_user_id(ctx), .arena = a, .out = out};
	idem_tx it = {.key = &t.key,
		      .arena = a,
		      .resp = &out->base,
		      .body = whk_create_body,
		      .replay = whk_create_replayed,
		      .arg = &t};
	char secret[WHK_SECRET_MAX];
	unsigned char *sealed = NULL;
	db_conn *c = NULL;
	int rc = idem_prepare(&t.key, ctx, IDEM_EVENTS, &in->base, NULL);

	if (rc == 0)
		rc = whk_officer(ctx, in->group_id);
	if (rc == 0)
		rc = whk_require_key();
	if (rc == 0)
		rc = whk_check_events(in->events, in->n_events);
	if (rc == 0)
		rc = whk_check_url(in->url);
	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc < 0)
		return rc;
	whk_secret_new(secret);
	whk_seal(&sealed, &t.n_sealed, whk_current()->key, secret);
	t.sealed = sealed;
	rc = idem_db_tx(c, svc_tx_timeout(ctx), &it);
	free(sealed);
	/* A replay shows the secret its endpoint was made with. */
	if (rc == 0 && it.replayed)
		rc = whk_open(secret, whk_current()->key, t.replay_sealed, t.n_replay_sealed);
	if (rc == 0) {
		out->secret = mem_arena_strdup(a, secret);
		rc = out->secret ? 0 : err_oom();
	}
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

int
evs_list_webhooks(rpc_ctx *ctx, const Kolo__Events__V1__ListWebhooksRequest *in,
		  Kolo__Events__V1__ListWebhooksResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	whk_endpoint *rows = NULL;
	size_t n = 0;
	db_conn *c = NULL;
	int rc = whk_officer(ctx, in->group_id);

	if (rc == 0)
		rc = db_thread_conn(&c);
	if (rc == 0)
		rc = whk_store_list(&rows, &n, a, c, in->group_id);
	if (rc < 0)
		return rc;
	out->webhooks = mem_arena_alloc(a, sizeof(*out->webhooks) * (n + 1));
	if (!out->webhooks)
		return err_oom();
	for (size_t i = 0; i < n; i++) {
		if (!(out->webhooks[i] = whk_webhook_message(a, &rows[i])))
			return err_oom();
	}
	out->n_webhooks = n;
	return 0;
}

/* The officer check and the webhook id of a call on one endpoint. */
static int
whk_endpoint_call(rpc_ctx *ctx, const char *group_id, const char *webhook_id, db_conn **c)
{
	int rc = whk_officer(ctx, group_id);

	if (rc == 0)
		rc = whk_check_id(webhook_id, "webhook_id");
	return rc < 0 ? rc : db_thread_conn(c);
}

int
evs_delete_webhook(rpc_ctx *ctx, const Kolo__Events__V1__DeleteWebhookRequest *in,
		   Kolo__Events__V1__DeleteWebhookResponse *out)
{
	db_conn *c = NULL;
	int rc = whk_endpoint_call(ctx, in->group_id, in->webhook_id, &c);

	return rc < 0 ? rc : whk_store_delete(c, in->group_id, in->webhook_id);
}

typedef struct whk_resume_tx {
	const char *group_id, *id;
	mem_arena *arena;
	whk_endpoint endpoint; /* out */
} whk_resume_tx;

static int
whk_resume_body(db_conn *c, void *arg)
{
	whk_resume_tx *t = arg;

	return whk_store_resume(&t->endpoint, t->arena, c, t->group_id, t->id);
}

int
evs_resume_webhook(rpc_ctx *ctx, const Kolo__Events__V1__ResumeWebhookRequest *in,
		   Kolo__Events__V1__ResumeWebhookResponse *out)
{
	whk_resume_tx t = {
		.group_id = in->group_id, .id = in->webhook_id, .arena = rpc_ctx_arena(ctx)};
	db_conn *c = NULL;
	int rc = whk_endpoint_call(ctx, in->group_id, in->webhook_id, &c);

	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), whk_resume_body, &t);
	if (rc < 0)
		return rc;
	out->webhook = whk_webhook_message(t.arena, &t.endpoint);
	return out->webhook ? 0 : err_oom();
}

int
evs_list_webhook_deliveries(rpc_ctx *ctx, const Kolo__Events__V1__ListWebhookDeliveriesRequest *in,
			    Kolo__Events__V1__ListWebhookDeliveriesResponse *out)
{
	mem_arena *a = rpc_ctx_arena(ctx);
	whk_endpoint e;
	whk_delivery_row *rows = NULL;
	page_request page;
	db_conn *c = NULL;
	int n = 0;
	int rc = whk_endpoint_call(ctx, in->group_id, in->webhook_id, &c);

	if (rc == 0 && in->status[0] && whk_delivery_state_parse(in->status) < 0)
		rc = err_set(ERR_INVALID_ARGUMENT, "invalid_status",
			     "status is pending, delivered or dead");
	if (rc == 0)
		rc = page_request_parse(&page, a, in->page_size, in->page_token);
	if (rc == 0)
		rc = whk_store_get(&e, a, c, in->group_id, in->webhook_id);
	if (rc == 0)
		rc = whk_store_deliveries(&rows, &n, a, c, e.id, in->status, &page);
	if (rc < 0)
		return rc;
	out->deliveries = page_items(&out->n_deliveries, a, &page, n, sizeof(*out->deliveries));
	if (!out->deliveries)
		return err_oom();
	for (size_t i = 0; i < out->n_deliveries; i++) {
		if (!(out->deliveries[i] = whk_delivery_message(a, &rows[i])))
			return err_oom();
	}
	return page_next_token(&out->next_page_token, a, &page, rows, n,
			       PAGE_ROW_LAYOUT(whk_delivery_row, page_key, id));
}

typedef struct whk_redeliver_tx {
	const Kolo__Events__V1__RedeliverWebhookDeliveryRequest *in;
	mem_arena *arena;
	whk_delivery_row row; /* out */
} whk_redeliver_tx;

static int
whk_redeliver_body(db_conn *c, void *arg)
{
	whk_redeliver_tx *t = arg;
	whk_endpoint e;
	int rc = whk_store_get(&e, t->arena, c, t->in->group_id, t->in->webhook_id);

	return rc < 0 ? rc : whk_store_redeliver(&t->row, t->arena, c, e.id, t->in->delivery_id);
}

int
evs_redeliver_webhook_delivery(rpc_ctx *ctx,
			       const Kolo__Events__V1__RedeliverWebhookDeliveryRequest *in,
			       Kolo__Events__V1__RedeliverWebhookDeliveryResponse *out)
{
	whk_redeliver_tx t = {.in = in, .arena = rpc_ctx_arena(ctx)};
	db_conn *c = NULL;
	int rc = whk_endpoint_call(ctx, in->group_id, in->webhook_id, &c);

	if (rc == 0)
		rc = whk_check_id(in->delivery_id, "delivery_id");
	if (rc == 0)
		rc = db_tx(c, svc_tx_timeout(ctx), whk_redeliver_body, &t);
	if (rc < 0)
		return rc;
	out->delivery = whk_delivery_message(t.arena, &t.row);
	return out->delivery ? 0 : err_oom();
}
