/* Delivery: claimed messages rendered and sent, then marked. */
#include <string.h>
#include <time.h>

#include "log/log.h"
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

static int64_t evs_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lease of a claim: the configured one, and at least one whole send. */
static int evs_claim_lease_s(const evs_deps *d, int64_t *send_ms)
{
	int64_t longest = d->smtp.timeout_ms > d->sms.timeout_ms ? d->smtp.timeout_ms
								 : d->sms.timeout_ms;
	int64_t floor_s = (longest + EVS_SEND_SLACK_MS + 999) / 1000;

	*send_ms = longest;
	return d->lease_s > floor_s ? d->lease_s : (int)floor_s;
}

/* The email of d: over SMTP when configured, else into the mail dir. */
static int evs_deliver_email(mem_arena *a, const evs_delivery *d, const evs_rendered *r)
{
	const evs_deps *deps = evs_current();
	char *message = NULL;
	size_t len = 0;
	int rc = evs_email_message(a, r, deps->smtp.from, d->address, d->event.id, d->user_id,
				   &message, &len);

	if (rc < 0)
		return rc;
	if (deps->smtp.url && deps->smtp.url[0])
		return evs_send_smtp(&deps->smtp, d->address, message, len);
	return evs_send_file(deps->mail_dir, d->event.id, (long long)d->id, "eml", message, len);
}

/* The SMS of d: through the API when configured, else into the mail dir. */
static int evs_deliver_sms(mem_arena *a, const evs_delivery *d, const evs_rendered *r)
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

/* 1 when d may go now; 0 (given back, due when a token is likely) when the
 * SMS budget is spent. */
static int evs_sms_budget(db_conn *c, const evs_delivery *d, int *go)
{
	const evs_sms *sms = &evs_current()->sms;
	int rc;

	*go = 1;
	if (strcmp(d->channel, "sms") != 0 || !sms->url || !sms->url[0] || sms->rate_per_s <= 0)
		return 0;
	if ((rc = evs_store_sms_token(c, sms->rate_per_s, go)) < 0 || *go)
		return rc;
	return evs_store_unclaim(c, d, (int64_t)(1000.0 / sms->rate_per_s) + 1);
}

static int evs_sent_body(db_conn *c, void *arg)
{
	return evs_store_sent(c, arg);
}

int evs_deliver(mem_arena *a, const evs_delivery *d)
{
	const evs_deps *deps = evs_current();
	evs_rendered r;
	db_conn *c = NULL;
	int go = 0, dead, rc = db_thread_conn(&c);

	if (rc == 0)
		rc = evs_sms_budget(c, d, &go);
	if (rc < 0 || !go)
		return rc;
	rc = evs_render(a, &d->event, deps->public_url, &r);
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

void evs_deliver_pass(void)
{
	mem_arena *a = mem_arena_new(0);
	evs_delivery *due = NULL;
	db_conn *c = NULL;
	int64_t send_ms = 0, claimed_at;
	int lease_s = evs_claim_lease_s(evs_current(), &send_ms);
	int n = EVS_CLAIM_BATCH;

	while (n == EVS_CLAIM_BATCH && db_thread_conn(&c) == 0 &&
	       evs_store_claim(c, a, EVS_CLAIM_BATCH, lease_s, &due, &n) == 0) {
		claimed_at = evs_mono_ms();
		for (int i = 0; i < n; i++) {
			if (evs_mono_ms() - claimed_at + send_ms + EVS_SEND_SLACK_MS >
			    (int64_t)lease_s * 1000) {
				if (evs_store_unclaim(c, &due[i], 0) < 0)
					log_event(LOG_LVL_WARN, "claim not given back", "event_id",
						  due[i].event.id, "reason", err_last()->reason,
						  NULL);
				continue;
			}
			if (evs_deliver(a, &due[i]) < 0)
				log_event(LOG_LVL_WARN, "delivery not marked", "event_id",
					  due[i].event.id, "reason", err_last()->reason, NULL);
		}
		mem_arena_reset(a);
	}
	mem_arena_free(a);
}
