/* Delivery: claimed messages rendered and sent, then marked. */
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "peers.h"
#include "render.h"
#include "send.h"
#include "svc/call.h"
#include "work.h"

#define EVS_CLAIM_BATCH 20
/* A claim is sent only while its lease still covers a whole send (the
 * longest timeout) and this much more (the marking); the rest of a batch
 * behind a slow server is given back, so no send outlives its lease and
 * repeats the send of a worker that claimed it since. */
#define EVS_SEND_SLACK_MS 2000

static int64_t
evs_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lease of a claim: the configured one, and at least one whole send. */
static int
evs_claim_lease_s(const evs_deps *d, int64_t *send_ms)
{
	int64_t longest =
		d->smtp.timeout_ms > d->sms.timeout_ms ? d->smtp.timeout_ms : d->sms.timeout_ms;
	int64_t floor_s = (longest + EVS_SEND_SLACK_MS + 999) / 1000;

	*send_ms = longest;
	return d->lease_s > floor_s ? d->lease_s : (int)floor_s;
}

/* The email of d: over SMTP when configured, else into the mail dir. */
static int
evs_deliver_email(mem_arena *a, const evs_delivery *d, const evs_rendered *r)
{
	const evs_deps *deps = evs_current();
	char *message = NULL;
	size_t len = 0;
	int rc = evs_email_message(&message, &len, a, r, deps->smtp.from, d->address, d->event.id,
				   d->user_id);

	if (rc < 0)
		return rc;
	if (deps->smtp.url && deps->smtp.url[0])
		return evs_send_smtp(&deps->smtp, d->address, message, len);
	return evs_send_file(deps->mail_dir, d->event.id, (long long)d->id, "eml", message, len);
}

/* The SMS of d: through the API when configured, else into the mail dir. */
static int
evs_deliver_sms(mem_arena *a, const evs_delivery *d, const evs_rendered *r)
{
	const evs_deps *deps = evs_current();
	char *file;

	if (deps->sms.url && deps->sms.url[0])
		return evs_send_sms(&deps->sms, d->address, r->sms);
	file = evs_sms_file(a, d->address, r->sms);
	return file ? evs_send_file(deps->mail_dir, d->event.id, (long long)d->id, "sms", file,
				    strlen(file))
		    : err_oom();
}

/* How long a message waits, uncounted, when groups cannot say its
 * group's name now. */
#define EVS_NAME_RETRY_MS 5000

/* The group names asked of groups during one claimed batch: one GetGroup
 * per group, however many of its messages the batch holds. */
struct evs_name_cache {
	size_t n;
	struct {
		const char *group_id, *name;
	} at[EVS_CLAIM_BATCH];
};

/* The name of e's group ("" without a group, or when the group is gone),
 * from the cache or asked of groups (then kept in the cache, in a). */
static int
evs_group_name(mem_arena *a, evs_name_cache *cache, const evs_event *e, const char **out)
{
	int rc;

	*out = "";
	if (!e->group_id[0])
		return 0;
	for (size_t i = 0; cache && i < cache->n; i++) {
		if (strcmp(cache->at[i].group_id, e->group_id) == 0) {
			*out = cache->at[i].name;
			return 0;
		}
	}
	rc = evs_peer_group_name(out, a, e->group_id);
	if (rc == ERR_NOT_FOUND) {
		*out = "";
		rc = 0;
	}
	if (rc == 0 && cache && cache->n < EVS_CLAIM_BATCH) {
		cache->at[cache->n].group_id = e->group_id;
		cache->at[cache->n++].name = *out;
	}
	return rc;
}

/* 1 when d may go now; 0 (given back, due when a token is likely) when the
 * SMS budget is spent. */
static int
evs_sms_budget(db_conn *c, const evs_delivery *d, int *go)
{
	const evs_sms *sms = &evs_current()->sms;
	int rc;

	*go = 1;
	if (strcmp(d->channel, "sms") != 0 || !sms->url || !sms->url[0] || sms->rate_per_s <= 0)
		return 0;
	if ((rc = evs_store_sms_token(go, c, sms->rate_per_s)) < 0 || *go)
		return rc;
	return evs_store_unclaim(c, d, (int64_t)(1000.0 / sms->rate_per_s) + 1);
}

static int
evs_sent_body(db_conn *c, void *arg)
{
	return evs_store_sent(c, arg);
}

int
evs_deliver(mem_arena *a, const evs_delivery *d, evs_name_cache *names)
{
	const evs_deps *deps = evs_current();
	const char *group_name = "";
	evs_rendered r;
	db_conn *c = NULL;
	int go = 0, dead, rc = db_thread_conn(&c);

	if (rc == 0 && evs_group_name(a, names, &d->event, &group_name) < 0) {
		/* A message names its group: given back, uncounted, till groups answers. */
		log_event(LOG_LVL_WARN, "group name not known yet", "event_id", d->event.id,
			  "reason", err_last()->reason, NULL);
		return evs_store_unclaim(c, d, EVS_NAME_RETRY_MS);
	}
	if (rc == 0)
		rc = evs_sms_budget(c, d, &go);
	if (rc < 0 || !go)
		return rc;
	rc = evs_render(&r, a, &d->event, group_name, deps->public_url);
	if (rc == 0)
		rc = strcmp(d->channel, "email") == 0 ? evs_deliver_email(a, d, &r)
						      : evs_deliver_sms(a, d, &r);
	/* SENT and the code blanked together: a kill between two separate
	 * commits would keep a sent code for ever. */
	if (rc == 0)
		return db_tx(c, SVC_BACKGROUND_TIMEOUT_MS, evs_sent_body, (void *)d);
	/* A message that cannot be made (bad data, a bad address) never will be. */
	dead = d->attempts >= deps->max_attempts || rc == ERR_INVALID_ARGUMENT;
	log_event(LOG_LVL_WARN, dead ? "message dead" : "message not sent yet", "event_id",
		  d->event.id, "channel", d->channel, "reason", err_last()->message, NULL);
	return evs_store_failed(c, d, dead, evs_backoff_s(d->attempts), err_last()->message);
}

void
evs_deliver_pass(void)
{
	mem_arena *a = mem_arena_new(0);
	evs_delivery *due = NULL;
	db_conn *c = NULL;
	int64_t send_ms = 0, claimed_at;
	int lease_s = evs_claim_lease_s(evs_current(), &send_ms);
	int n = EVS_CLAIM_BATCH;
	evs_name_cache names;

	while (n == EVS_CLAIM_BATCH && db_thread_conn(&c) == 0 &&
	       evs_store_claim(&due, &n, a, c, EVS_CLAIM_BATCH, lease_s) == 0) {
		claimed_at = evs_mono_ms();
		names.n = 0; /* its names live in a, reset with the batch */
		for (int i = 0; i < n; i++) {
			if (evs_mono_ms() - claimed_at + send_ms + EVS_SEND_SLACK_MS >
			    (int64_t)lease_s * 1000) {
				if (evs_store_unclaim(c, &due[i], 0) < 0)
					log_event(LOG_LVL_WARN, "claim not given back", "event_id",
						  due[i].event.id, "reason", err_last()->reason,
						  NULL);
				continue;
			}
			if (evs_deliver(a, &due[i], &names) < 0)
				log_event(LOG_LVL_WARN, "delivery not marked", "event_id",
					  due[i].event.id, "reason", err_last()->reason, NULL);
		}
		mem_arena_reset(a);
	}
	mem_arena_free(a);
}
