/* Ingest, fan-out, and the workers that run them and the deliveries. */
#include "work.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "peers.h"
#include "svc/call.h"
#include "svc/worker.h"
#include "text/text.h"
#include "metrics/metrics.h"

/* --- ingest ------------------------------------------------------------------ */

typedef struct evs_ingest_tx {
	const char *source;
	Kolo__Common__V1__OutboxEvent **events;
	size_t n;
	int stored;
} evs_ingest_tx;

static int
evs_ingest_body(db_conn *c, void *arg)
{
	evs_ingest_tx *t = arg;
	int rc = 0;

	t->stored = 0;
	for (size_t i = 0; rc == 0 && i < t->n; i++) {
		const Kolo__Common__V1__OutboxEvent *o = t->events[i];
		evs_event e = {.id = o->id,
			       .type = o->type,
			       .group_id = o->group_id,
			       .user_id = o->user_id,
			       .actor_id = o->actor_id,
			       .occurred_at = o->occurred_at,
			       .data_json = o->data_json};
		int stored = 0;

		rc = evs_store_event(&stored, c, t->source, &e);
		t->stored += stored;
	}
	return rc;
}

int
evs_ingest_batch(int *out_read, int *out_stored, evs_source source, int ack)
{
	mem_arena *a = mem_arena_new(0);
	evs_ingest_tx t = {.source = evs_source_name(source)};
	char **ids = NULL;
	db_conn *c = NULL;
	int rc = evs_peer_read_outbox(&t.events, &t.n, a, source, EVS_INGEST_BATCH);

	*out_read = rc == 0 ? (int)t.n : 0;
	*out_stored = 0;
	if (rc == 0 && t.n > 0)
		rc = db_thread_conn(&c);
	if (rc == 0 && t.n > 0)
		rc = db_tx(c, SVC_BACKGROUND_TIMEOUT_MS, evs_ingest_body, &t);
	if (rc == 0)
		*out_stored = t.stored;
	/* Committed: this process's streams send them now, not at their next poll. */
	if (rc == 0 && t.stored > 0 && evs_current()->stored)
		evs_current()->stored();
	if (rc == 0 && t.n > 0 && ack) {
		ids = mem_arena_alloc(a, sizeof(*ids) * t.n);
		for (size_t i = 0; ids && i < t.n; i++)
			ids[i] = t.events[i]->id;
		/* Stored and committed: a failed ack only means reading them again. */
		rc = ids ? evs_peer_ack_outbox(source, ids, t.n, a) : err_oom();
	}
	mem_arena_free(a);
	return rc;
}

/* Drains one source; a full batch is followed by another, up to a bound
 * so the other sources get their turn. */
static void
evs_ingest_source(evs_source source)
{
	int read = EVS_INGEST_BATCH, stored = 0;

	for (int round = 0; read == EVS_INGEST_BATCH && round < 20; round++) {
		if (evs_ingest_batch(&read, &stored, source, 1) < 0) {
			log_event(LOG_LVL_WARN, "outbox not read", "source",
				  evs_source_name(source), "reason", err_last()->reason, NULL);
			return;
		}
	}
}

/* --- fan-out ------------------------------------------------------------------ */

/* The data's previous_user_id of an EVT_TO_PREVIOUS type ("" none), in a. */
static const char *
evs_previous_of(mem_arena *a, const evs_event *e, const evt_type *t)
{
	json_t *data, *v;
	const char *id = "";

	if (!(t->audience & EVT_TO_PREVIOUS) || !e->data_json)
		return "";
	data = json_loads(e->data_json, 0, NULL);
	v = json_object_get(data, "previous_user_id");
	if (json_is_string(v) && text_is_uuid(json_string_value(v)))
		id = mem_arena_printf(a, "%s", json_string_value(v));
	json_decref(data);
	return id;
}

/* The event's group's members (groups, when its type tells officers or
 * members), then the candidates among them (evs_people_build). */
static int
evs_people_of(mem_arena *a, const evs_event *e, const evt_type *t, evs_people *p)
{
	evs_member *members = NULL;
	size_t n_members = 0;
	int rc = 0;
	const char *previous = evs_previous_of(a, e, t);

	if (e->group_id[0] && (t->audience & (EVT_TO_OFFICERS | EVT_TO_MEMBERS_OPT_IN)))
		rc = evs_peer_members(&members, &n_members, a, e->group_id);
	/* A group gone (or never there): its subject alone is told. */
	if (rc == ERR_NOT_FOUND)
		rc = 0;
	if (rc < 0)
		return rc;
	if (!previous)
		return err_oom();
	return evs_people_build(p, a, members, n_members, e->user_id, previous, e->actor_id);
}

/* Choices and contacts of the people, then the messages evs_channels()
 * decides. */
static int
evs_messages_of(mem_arena *a, db_conn *c, const evs_event *e, const evt_type *t,
		const evs_people *p, evs_message **out, size_t *n)
{
	int *email = mem_arena_alloc(a, sizeof(int) * (p->n + 1));
	int *sms = mem_arena_alloc(a, sizeof(int) * (p->n + 1));
	evs_contact *contacts = mem_arena_alloc(a, sizeof(*contacts) * (p->n + 1));
	char **ids = mem_arena_alloc(a, sizeof(*ids) * (p->n + 1));
	evs_recipient *who = mem_arena_alloc(a, sizeof(*who) * (p->n + 1));
	size_t k = 0;
	int rc;

	*out = mem_arena_alloc(a, sizeof(**out) * (2 * p->n + 1));
	*n = 0;
	if (!email || !sms || !contacts || !ids || !who || !*out)
		return err_oom();
	if ((rc = evs_store_choices_of(email, sms, c, e->type, p->ids, p->n)) < 0)
		return rc;
	/* Only those who would be told are looked up (a deposit nobody chose
	 * to hear of costs identity nothing). */
	for (size_t i = 0; i < p->n; i++) {
		who[k] = p->who[i];
		who[k].chose_email = email[i];
		who[k].chose_sms = sms[i];
		ids[k] = p->ids[i];
		k += (size_t)evs_wants(t, &who[k]);
	}
	if (k > 0 && (rc = evs_peer_contacts(contacts, a, ids, k)) < 0)
		return rc;
	for (size_t i = 0; i < k; i++) {
		evs_recipient r = who[i];
		unsigned ch;

		r.email_verified = contacts[i].email_verified && contacts[i].email[0];
		r.has_phone = contacts[i].phone[0] == '+' && !evs_current()->sms.off;
		ch = evs_channels(t, &r);
		if (ch & EVS_CH_EMAIL)
			(*out)[(*n)++] = (evs_message){ids[i], "email", contacts[i].email};
		if (ch & EVS_CH_SMS)
			(*out)[(*n)++] = (evs_message){ids[i], "sms", contacts[i].phone};
	}
	return 0;
}

/* 1 for an email address a message may go to (one address, no header
 * tricks). */
static int
evs_email_usable(const char *email)
{
	return email && strchr(email, '@') && text_is_clean(email) && !strpbrk(email, " <>\",;");
}

/* 1 for an E.164 number: "+" and 8 to 15 digits. */
static int
evs_phone_usable(const char *phone)
{
	size_t n = phone && phone[0] == '+' ? strspn(phone + 1, "0123456789") : 0;

	return n >= 8 && n <= 15 && phone[n + 1] == '\0';
}

/* 1 when e is a code that proves an address (email or phone number). */
static int
evs_is_code(const evt_type *t)
{
	return t && (strcmp(t->name, EVT_EMAIL_CODE) == 0 || strcmp(t->name, EVT_PHONE_CODE) == 0);
}

/* A code goes to the address it proves, whatever else is known: an email
 * code by email to data.email, a phone code by SMS to data.phone. */
static int
evs_code_message(mem_arena *a, const evs_event *e, const evt_type *t, evs_message *out, size_t *n)
{
	int phone = strcmp(t->name, EVT_PHONE_CODE) == 0;
	json_t *data = json_loads(e->data_json, 0, NULL);
	const char *to = json_string_value(json_object_get(data, phone ? "phone" : "email"));

	*n = 0;
	if (phone && evs_current()->sms.off)
		to = NULL; /* no SMS at all: the code cannot go anywhere */
	if (e->user_id[0] && (phone ? evs_phone_usable(to) : evs_email_usable(to))) {
		*out = (evs_message){e->user_id, phone ? "sms" : "email", mem_arena_strdup(a, to)};
		*n = out->address ? 1 : 0;
	}
	json_decref(data);
	return 0;
}

typedef struct evs_fanned_tx {
	const char *event_id;
	const evs_message *msgs;
	size_t n;
} evs_fanned_tx;

static int
evs_fanned_body(db_conn *c, void *arg)
{
	const evs_fanned_tx *t = arg;

	return evs_store_fanned(c, t->event_id, t->msgs, t->n);
}

int
evs_fanout_event(mem_arena *a, const evs_event *e)
{
	const evt_type *t = evt_type_find(e->type);
	evs_message code, *msgs = NULL;
	evs_people people = {0};
	evs_fanned_tx tx = {.event_id = e->id};
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc == 0 && evs_is_code(t)) {
		rc = evs_code_message(a, e, t, &code, &tx.n);
		msgs = &code;
	} else if (rc == 0 && t) {
		rc = evs_people_of(a, e, t, &people);
		if (rc == 0)
			rc = evs_messages_of(a, c, e, t, &people, &msgs, &tx.n);
	}
	/* An unknown type (a newer service) is stored, never mailed nor streamed. */
	tx.msgs = msgs;
	return rc < 0 ? rc : db_tx(c, SVC_BACKGROUND_TIMEOUT_MS, evs_fanned_body, &tx);
}

/* A failed fan-out of e: the pass stops when a peer cannot be asked now
 * (returns 0: every event would fail alike; tried again next pass);
 * else it is counted against e, set aside after its last try, and the
 * pass goes on (returns 1). */
static int
evs_fanout_failed(db_conn *c, const evs_event *e)
{
	char reason[ERR_REASON_MAX + ERR_MESSAGE_MAX + 2];
	int gave_up = 0;

	snprintf(reason, sizeof(reason), "%s: %s", err_last()->reason, err_last()->message);
	if (evs_fanout_retry_later(err_last()->code)) {
		log_event(LOG_LVL_WARN, "event not fanned out yet", "event_id", e->id, "reason",
			  err_last()->reason, NULL);
		return 0;
	}
	if (evs_store_fanout_failed(&gave_up, c, e->id, reason, EVS_FANOUT_MAX_FAILURES) < 0) {
		log_event(LOG_LVL_WARN, "fan-out failure not counted", "event_id", e->id, "reason",
			  err_last()->reason, NULL);
		return 0;
	}
	log_event(gave_up ? LOG_LVL_ERROR : LOG_LVL_WARN,
		  gave_up ? "event set aside: its fan-out kept failing" : "event fan-out failed",
		  "event_id", e->id, "type", e->type, "reason", reason, NULL);
	return 1;
}

/* One batch of events not yet fanned out: a user's own (a code someone
 * waits for at a screen) before any group's, then in the order stored.
 * *n_out gets how many were read. 0: all fanned out; 1: a failure was
 * counted against an event (tried again next pass, not at once); -1: the
 * pass must stop (an outage: the next pass tries again). */
static int
evs_fanout_batch(int *n_out)
{
	mem_arena *a = mem_arena_new(0);
	evs_event *events = NULL;
	db_conn *c = NULL;
	int n = 0, counted = 0, rc = db_thread_conn(&c);

	if (rc == 0)
		rc = evs_store_unfanned(&events, &n, a, c, EVS_FANOUT_BATCH);
	for (int i = 0; rc == 0 && i < n; i++) {
		if (evs_fanout_event(a, &events[i]) == 0)
			continue;
		if (evs_fanout_failed(c, &events[i]))
			counted = 1;
		else
			rc = -1;
	}
	mem_arena_free(a);
	*n_out = n;
	return rc < 0 ? -1 : counted;
}

/* Fans out full batches back to back, up to a bound so the ingest gets its
 * turn: a backlog (a burst of deposits) drains faster than a batch a pass. */
static void
evs_fanout_pass(void)
{
	int n = EVS_FANOUT_BATCH;

	for (int round = 0; n == EVS_FANOUT_BATCH && round < EVS_FANOUT_ROUNDS; round++) {
		if (evs_fanout_batch(&n) != 0)
			return;
	}
}

void
evs_ingest_pass(void)
{
	db_conn *c = NULL;
	int leader = 0;

	if (db_thread_conn(&c) < 0 || evs_store_lead(&leader, c) < 0 || !leader)
		return;
	for (int s = 0; s < EVS_SRC_COUNT; s++)
		evs_ingest_source((evs_source)s);
	evs_fanout_pass();
}

/* --- workers ------------------------------------------------------------------ */

#define EVS_MAX_DELIVER_WORKERS 16

static svc_worker *evs_ingest_worker;
static svc_worker *evs_deliver_workers[EVS_MAX_DELIVER_WORKERS];
static metrics_queue evs_delivery_queue = {.worker = "deliveries",
					   .measure = evs_store_delivery_queue};

int
evs_workers_start(void)
{
	const evs_deps *d = evs_current();
	int n = d->deliver_workers < EVS_MAX_DELIVER_WORKERS ? d->deliver_workers
							     : EVS_MAX_DELIVER_WORKERS;
	int rc = svc_worker_start(&evs_ingest_worker, evs_ingest_pass, d->ingest_interval_ms);

	for (int i = 0; rc == 0 && i < n; i++)
		rc = svc_worker_start(&evs_deliver_workers[i], evs_deliver_pass,
				      d->deliver_interval_ms);
	metrics_queue_register(&evs_delivery_queue);
	return rc;
}

void
evs_workers_stop(void)
{
	metrics_queue_unregister(&evs_delivery_queue);
	svc_worker_stop(evs_ingest_worker);
	evs_ingest_worker = NULL;
	for (int i = 0; i < EVS_MAX_DELIVER_WORKERS; i++) {
		svc_worker_stop(evs_deliver_workers[i]);
		evs_deliver_workers[i] = NULL;
	}
}
