/* The partner webhooks' worker (webhook_work.h). */
#include "webhook_work.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/cfg.h"
#include "db/db.h"
#include "events/events.h"
#include "log/log.h"
#include "store.h"
#include "store_webhooks.h"
#include "svc/call.h"
#include "svc/worker.h"
#include "webhook_url.h"
#include "webhooks.h"
#include "metrics/metrics.h"

/* A claim's lease outlives its send by this much. */
#define WHK_LEASE_MARGIN_MS 5000
/* A claim is sent only while its lease still covers a whole send (the
 * timeout) and this much more (the name's lookup, the outcome's
 * transaction); the rest of a batch behind slow endpoints is given back,
 * so no send outlives its lease and overtakes, or repeats, the send of a
 * worker that claimed it since. */
#define WHK_SEND_SLACK_MS 2000

static int64_t
whk_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
whk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RFC 3339 UTC of Unix milliseconds. */
static void
whk_rfc3339(char out[64], int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* Sends one claimed delivery; the outcome in *out. */
static void
whk_attempt_send(whk_outcome *out, const whk_claim *cl)
{
	const whk_config *cfg = whk_current();
	const whk_event ev = {.id = cl->event_id,
			      .type = cl->event_type,
			      .group_id = cl->group_id,
			      .seq = cl->seq,
			      .occurred_at = cl->occurred_at,
			      .data_json = cl->data_json};
	char secret[WHK_SECRET_MAX];
	char *body = NULL;

	memset(out, 0, sizeof(*out));
	if (whk_open(secret, cfg->key, cl->sealed, cl->n_sealed) < 0 ||
	    whk_event_body(&body, &ev) < 0) {
		snprintf(out->error, sizeof(out->error), "not sent: %s", err_last()->reason);
		return;
	}
	whk_message m = {.url = cl->url,
			 .secret = secret,
			 .event_id = cl->event_id,
			 .event_type = cl->event_type,
			 .body = body,
			 .body_len = strlen(body),
			 .signed_at = whk_now_ms() / 1000};
	whk_send(out, &m, &cfg->send);
	sodium_memzero(secret, sizeof(secret));
	free(body);
}

typedef struct whk_record_tx {
	const whk_claim *claim;
	const whk_outcome *outcome;
	int64_t now_ms;
	uint32_t jitter;
	mem_arena *arena;
	int paused; /* out */
} whk_record_tx;

/* The host of an endpoint's URL, "" when it cannot be read: the event
 * goes to every officer by email and SMS, and a URL's path or query may
 * hold the partner's own secret (a token in the path). */
static void
whk_url_host(char host[WHK_HOST_MAX], const char *url)
{
	whk_url u;

	host[0] = '\0';
	/* Checked when the endpoint was made; any scheme it passed then. */
	if (whk_url_parse(&u, url, 1) == 0)
		snprintf(host, WHK_HOST_MAX, "%s", u.host);
}

/* The webhook.paused event of the endpoint, stored as kolo-events' own. */
static int
whk_tell_paused(db_conn *c, const whk_record_tx *t, int64_t failing_since_ms)
{
	char occurred[64], since[64], host[WHK_HOST_MAX];
	const char *id = NULL;
	json_t *data;
	char *text;
	int stored = 0, rc = whk_store_new_id(&id, t->arena, c);

	if (rc < 0)
		return rc;
	whk_rfc3339(occurred, t->now_ms);
	whk_rfc3339(since, failing_since_ms);
	whk_url_host(host, t->claim->url);
	data = json_pack("{s:s, s:s, s:s, s:i}", "webhook_id", t->claim->endpoint_id, "host", host,
			 "failing_since", since, "last_status_code", (int)t->outcome->status);
	text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	if (!text)
		return err_oom();
	const evs_event e = {.id = id,
			     .type = EVT_WEBHOOK_PAUSED,
			     .group_id = t->claim->group_id,
			     .user_id = "",
			     .actor_id = "",
			     .occurred_at = occurred,
			     .data_json = text};
	rc = evs_store_event(&stored, c, "events", &e);
	free(text);
	return rc;
}

/* Decide, then apply: the delivery's new state, the endpoint's failing
 * time, and the pause with its event, in one transaction. */
static int
whk_record_body(db_conn *c, void *arg)
{
	whk_record_tx *t = arg;
	const whk_claim *cl = t->claim;
	const char *status = NULL;
	int64_t failing_since = 0;
	whk_verdict v;
	int applied = 0, paused = 0;
	int rc = whk_store_lock_endpoint(&status, &failing_since, t->arena, c, cl->endpoint_id);

	if (rc < 0)
		return rc;
	const whk_attempt a = {.delivered = t->outcome->delivered,
			       .attempts = cl->attempts,
			       .first_at_ms = cl->first_at_ms,
			       .now_ms = t->now_ms,
			       .failing_since_ms = failing_since,
			       .endpoint_active = strcmp(status, "active") == 0,
			       .jitter = t->jitter};
	whk_decide(&v, &whk_current()->schedule, &a);
	const whk_result r = {.state = whk_delivery_state_text(v.state),
			      .next_at_ms = v.next_at_ms,
			      .now_ms = t->now_ms,
			      .status_code = t->outcome->status,
			      .error = t->outcome->error,
			      .response = t->outcome->excerpt};
	t->paused = 0;
	if ((rc = whk_store_attempted(&applied, c, cl, &r)) < 0 || !applied)
		return rc; /* the lease ran out and another worker has it */
	if (v.failing_since_ms != failing_since &&
	    (rc = whk_store_failing(c, cl->endpoint_id, v.failing_since_ms)) < 0)
		return rc;
	if (!v.pause)
		return 0;
	if ((rc = whk_store_pause(&paused, c, cl->endpoint_id, t->now_ms)) < 0 || !paused)
		return rc;
	t->paused = 1;
	return whk_tell_paused(c, t, v.failing_since_ms);
}

/* Sends one claim and records what happened. */
static int
whk_attempt_one(db_conn *c, mem_arena *a, const whk_claim *cl)
{
	whk_outcome out;
	whk_record_tx t = {.claim = cl, .outcome = &out, .arena = a};
	int rc;

	whk_attempt_send(&out, cl);
	t.now_ms = whk_now_ms();
	t.jitter = randombytes_random();
	rc = db_tx(c, SVC_BACKGROUND_TIMEOUT_MS, whk_record_body, &t);
	if (rc == 0 && t.paused)
		log_event(LOG_LVL_WARN, "webhook paused", "webhook_id", cl->endpoint_id, "group_id",
			  cl->group_id, NULL);
	return rc;
}

int
whk_work_once(int *attempts)
{
	const whk_config *cfg = whk_current();
	const char *types[64];
	size_t n_types = whk_partner_types(types, sizeof(types) / sizeof(types[0]));
	mem_arena *a = mem_arena_new(0);
	whk_claim *claims = NULL;
	db_conn *c = NULL;
	int added = 0, n = 0;
	int64_t lease_ms = cfg->send.timeout_ms + WHK_LEASE_MARGIN_MS, claimed_at;
	int rc = db_thread_conn(&c);

	*attempts = 0;
	if (rc == 0)
		rc = whk_store_enqueue(&added, c, types, n_types);
	if (rc == 0 && cfg->has_key)
		rc = whk_store_claim(&claims, &n, a, c, cfg->batch, lease_ms);
	claimed_at = whk_mono_ms();
	for (int i = 0; rc == 0 && i < n; i++) {
		if (whk_mono_ms() - claimed_at + cfg->send.timeout_ms + WHK_SEND_SLACK_MS >
		    lease_ms) {
			rc = whk_store_release(c, &claims[i]);
			continue;
		}
		rc = whk_attempt_one(c, a, &claims[i]);
		*attempts += rc == 0;
	}
	mem_arena_free(a);
	return rc;
}

void
whk_work_pass(void)
{
	int attempts = 0;

	do {
		if (whk_work_once(&attempts) < 0) {
			log_event(LOG_LVL_WARN, "webhooks pass failed", "reason",
				  err_last()->reason, NULL);
			return;
		}
	} while (attempts > 0);
}

static svc_worker *whk_worker;

static metrics_queue whk_queue = {.worker = "webhooks", .measure = whk_store_delivery_queue};

int
whk_start(void)
{
	int64_t first = 0, max = 0, window = 0, pause = 0, timeout = 0, interval = 0, batch = 0;
	int allow = 0;
	const char *key = NULL, *ca = NULL;
	whk_config cfg = {0};
	const cfg_var vars[] = {
		{"KOLO_WEBHOOK_SECRET_KEY", CFG_STRING, "", 0, 0, &key},
		{"KOLO_WEBHOOK_ALLOW_HTTP_LOOPBACK", CFG_BOOL, "false", 0, 0, &allow},
		{"KOLO_WEBHOOK_TIMEOUT_MS", CFG_INT, "10000", 100, 60000, &timeout},
		{"KOLO_WEBHOOK_RETRY_FIRST_MS", CFG_INT, "30000", 1, 86400000, &first},
		{"KOLO_WEBHOOK_RETRY_MAX_MS", CFG_INT, "21600000", 1, 86400000, &max},
		{"KOLO_WEBHOOK_RETRY_WINDOW_S", CFG_INT, "259200", 1, 2592000, &window},
		{"KOLO_WEBHOOK_PAUSE_AFTER_S", CFG_INT, "86400", 1, 2592000, &pause},
		{"KOLO_WEBHOOK_INTERVAL_MS", CFG_INT, "1000", 20, 600000, &interval},
		{"KOLO_WEBHOOK_BATCH", CFG_INT, "32", 1, 1000, &batch},
		{"KOLO_WEBHOOK_CA_FILE", CFG_FILE, "", 0, 0, &ca},
	};
	int rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));

	if (rc == 0 && key && key[0]) {
		rc = whk_key_parse(cfg.key, key);
		cfg.has_key = rc == 0;
	}
	if (rc == 0)
		rc = whk_send_global_init();
	if (rc < 0)
		return rc;
	cfg.schedule = (whk_schedule){.first_ms = first,
				      .max_ms = max,
				      .window_ms = window * 1000,
				      .pause_ms = pause * 1000};
	cfg.send =
		(whk_send_opts){.timeout_ms = timeout, .allow_http_loopback = allow, .ca_file = ca};
	cfg.interval_ms = (int)interval;
	cfg.batch = (int)batch;
	whk_configure(&cfg);
	sodium_memzero(&cfg, sizeof(cfg));
	if (!whk_current()->has_key)
		log_event(LOG_LVL_WARN,
			  "partner webhooks refused: KOLO_WEBHOOK_SECRET_KEY "
			  "is unset",
			  NULL);
	metrics_queue_register(&whk_queue);
	return svc_worker_start(&whk_worker, whk_work_pass, (int)interval);
}

void
whk_stop(void)
{
	metrics_queue_unregister(&whk_queue);
	svc_worker_stop(whk_worker);
	whk_worker = NULL;
}
