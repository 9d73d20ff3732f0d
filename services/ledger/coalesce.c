/* Coalesced debits (issue 25): plain DEBITs (no fee, no reversal) of one
 * group that arrive while another of that group is being posted wait in the
 * group's queue, in this process. When the group's posting is done, the
 * first of them posts all those queued (up to LDG_COALESCE_MAX) in one
 * statement (ldg_store_post_debits), each checked against what the ones
 * before it left and answered with its own outcome; the debits that arrive
 * meanwhile queue for the next batch. A lone debit posts at once, as
 * before. Nothing is handed to another thread: the waiters sleep, and the
 * one whose turn it is does the work for all. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <strings.h>
#include <time.h>

#include "handlers.h"
#include "ledger_service.h"
#include "metrics/metrics.h"
#include "post.h"
#include "svc/call.h"

#define LDG_COALESCE_MAX 64
/* Groups with a posting in flight at once (more than the workers). */
#define LDG_LANES 64

static metrics_family ldg_coalesced_family = METRICS_FAMILY(
	METRICS_COUNTER, "kolo_ledger_coalesced_total",
	"Coalesced debits: batches of more than one debit posted in one statement (batches), "
	"the debits they carried (debits), batches that failed and whose debits were then "
	"posted each on its own (failed)");

enum ldg_turn {
	LDG_QUEUED, /* waiting in the group's queue */
	LDG_TAKEN,  /* in a batch another waiter posts */
	LDG_LEAD,   /* the first of a batch: posts it */
	LDG_POSTED, /* the batch was posted: its outcome is in the posting */
	LDG_ALONE,  /* the batch failed: post on your own */
};

/* What a waiter asks for: a batch holds one kind only. */
enum ldg_kind { LDG_KIND_DEBIT, LDG_KIND_HOLD };

typedef struct ldg_waiter {
	enum ldg_kind kind;
	rpc_ctx *ctx;
	ldg_post_tx *t;	     /* a debit's posting */
	ldg_hold_slot *hold; /* a hold's ask and outcome */
	int64_t give_up_us;  /* monotonic: the lock wait's end (ldg_wait_ms) */
	int64_t deadline_us; /* monotonic: its call's deadline (0: none) */
	pthread_cond_t cond;
	enum ldg_turn turn;
	struct ldg_waiter *next; /* in the queue, then in the batch */
} ldg_waiter;

/* A group with a posting in flight, and the debits queued behind it. */
typedef struct ldg_lane {
	char group_id[40]; /* "" when free */
	ldg_waiter *head;
	ldg_waiter **tail;
} ldg_lane;

static pthread_mutex_t ldg_lanes_lock = PTHREAD_MUTEX_INITIALIZER;
static ldg_lane ldg_lanes[LDG_LANES];
static _Atomic int ldg_waiting; /* queued now, for tests */
static _Atomic int ldg_coalesce_on = 1;

void
ldg_set_coalesce(int on)
{
	ldg_coalesce_on = on;
}

static int64_t
ldg_now_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

int64_t
ldg_coalesced(const char *what)
{
	char labels[48];

	if (strcasecmp(what, "waiting") == 0)
		return ldg_waiting;
	snprintf(labels, sizeof(labels), "kind=\"%s\"", what);
	return metrics_value(&ldg_coalesced_family, labels);
}

/* The group's lane, or with claim a free one made its (NULL: none, or all
 * taken). Under ldg_lanes_lock. */
static ldg_lane *
ldg_lane_find(const char *group_id, int *out_claimed)
{
	ldg_lane *free_lane = NULL;

	*out_claimed = 0;
	for (int i = 0; i < LDG_LANES; i++) {
		if (!ldg_lanes[i].group_id[0]) {
			free_lane = free_lane ? free_lane : &ldg_lanes[i];
			continue;
		}
		if (strcasecmp(ldg_lanes[i].group_id, group_id) == 0)
			return &ldg_lanes[i];
	}
	if (free_lane) {
		snprintf(free_lane->group_id, sizeof(free_lane->group_id), "%s", group_id);
		free_lane->head = NULL;
		free_lane->tail = &free_lane->head;
		*out_claimed = 1;
	}
	return free_lane;
}

/* The group's posting is done: the queued debits (up to LDG_COALESCE_MAX)
 * become the next batch, led by the first; with none the lane is free. */
static void
ldg_lane_pass(ldg_lane *lane)
{
	ldg_waiter *lead, *last;
	int n = 1;

	pthread_mutex_lock(&ldg_lanes_lock);
	lead = lane->head;
	if (!lead) {
		lane->group_id[0] = '\0';
		pthread_mutex_unlock(&ldg_lanes_lock);
		return;
	}
	for (last = lead; last->next && last->next->kind == lead->kind && n < LDG_COALESCE_MAX;
	     last = last->next, n++)
		last->next->turn = LDG_TAKEN;
	lane->head = last->next;
	if (!lane->head)
		lane->tail = &lane->head;
	last->next = NULL;
	ldg_waiting -= n;
	lead->turn = LDG_LEAD;
	pthread_cond_signal(&lead->cond);
	pthread_mutex_unlock(&ldg_lanes_lock);
}

/* Takes w out of the lane's queue (its wait ran out). Under the lock. */
static void
ldg_lane_leave(ldg_lane *lane, ldg_waiter *w)
{
	ldg_waiter **p = &lane->head;

	while (*p != w)
		p = &(*p)->next;
	*p = w->next;
	if (!*p)
		lane->tail = p;
	ldg_waiting--;
}

/* Queued behind the group's posting, w waits for its turn; past its lock
 * wait still queued, it leaves: group_busy, as a posting that waited that
 * long for the row. Under the lock. */
static int
ldg_wait_turn(ldg_lane *lane, ldg_waiter *w)
{
	struct timespec at = {.tv_sec = w->give_up_us / 1000000,
			      .tv_nsec = (long)(w->give_up_us % 1000000) * 1000};

	w->next = NULL;
	*lane->tail = w;
	lane->tail = &w->next;
	ldg_waiting++;
	while (w->turn == LDG_QUEUED || w->turn == LDG_TAKEN) {
		int rc = w->turn == LDG_QUEUED
				 ? pthread_cond_timedwait(&w->cond, &ldg_lanes_lock, &at)
				 : pthread_cond_wait(&w->cond, &ldg_lanes_lock);

		if (rc == ETIMEDOUT && w->turn == LDG_QUEUED) {
			ldg_lane_leave(lane, w);
			return err_set(ERR_UNAVAILABLE, "group_busy",
				       "the group's ledger is busy; nothing was posted, try again");
		}
	}
	return 0;
}

/* The batch's statement ends by the earliest deadline among its waiters:
 * the leader's connection is given it for that statement, then its own
 * again. */
static void
ldg_lead_deadline(db_conn *c, const ldg_waiter *lead, int64_t now, int64_t leader_ms)
{
	int64_t first = 0;

	for (const ldg_waiter *m = lead; m; m = m->next)
		if (m->deadline_us > 0 && (first == 0 || m->deadline_us < first))
			first = m->deadline_us;
	if (first > 0)
		db_deadline_set(c, first - now > 1000 ? (first - now) / 1000 : 1);
	else
		db_deadline_set(c, leader_ms);
}

/* What a waiter does on its own: today's single statement. */
static int
ldg_alone(db_conn *c, ldg_waiter *w)
{
	ldg_hold_slot *h = w->hold;

	if (w->kind == LDG_KIND_DEBIT)
		return ldg_post(w->ctx, c, w->t);
	return ldg_store_place_hold(h->out, h->found, h->existed, h->arena, c, h->group_id,
				    h->amount_kobo, h->reference, h->expires_at,
				    ldg_wait_ms(w->ctx));
}

/* The batch's one statement; its outcomes are written into each waiter's
 * posting or hold (each waiter sleeps until told). */
static int
ldg_batch_statement(db_conn *c, ldg_waiter *lead, int n, int64_t wait_ms)
{
	ldg_debit_slot debits[LDG_COALESCE_MAX];
	ldg_hold_slot holds[LDG_COALESCE_MAX];
	int i = 0;

	for (ldg_waiter *m = lead; m; m = m->next, i++) {
		if (lead->kind == LDG_KIND_HOLD) {
			holds[i] = *m->hold;
			continue;
		}
		m->t->has_fee = 0;
		debits[i] = (ldg_debit_slot){.spec = m->t->spec,
					     .arena = m->t->arena,
					     .out = &m->t->entry,
					     .posted = &m->t->posted};
	}
	return lead->kind == LDG_KIND_HOLD ? ldg_store_place_holds(c, holds, n, wait_ms)
					   : ldg_store_post_debits(c, debits, n, wait_ms);
}

/* The batch lead heads: one statement, waiting for the row no longer than
 * the shortest wait left among them, and ending by the earliest deadline.
 * Each waiter's outcome is then its own (posted or not, read back by its
 * own thread), or, when the statement failed, nothing: each posts on its
 * own. */
static int
ldg_lead(db_conn *c, ldg_lane *lane, ldg_waiter *lead)
{
	int64_t now = ldg_now_us(), wait_us = INT64_MAX;
	int n = 0, rc;

	if (!lead->next) { /* alone after all */
		rc = ldg_alone(c, lead);
		ldg_lane_pass(lane);
		return rc;
	}
	for (ldg_waiter *m = lead; m; m = m->next, n++)
		if (m->give_up_us - now < wait_us)
			wait_us = m->give_up_us - now;
	ldg_lead_deadline(c, lead, now, svc_tx_timeout(lead->ctx));
	rc = ldg_batch_statement(c, lead, n, wait_us > 1000 ? wait_us / 1000 : 1);
	db_deadline_set(c, svc_tx_timeout(lead->ctx));
	metrics_add(&ldg_coalesced_family, rc == 0 ? "kind=\"batches\"" : "kind=\"failed\"", 1);
	if (rc == 0)
		metrics_add(&ldg_coalesced_family,
			    lead->kind == LDG_KIND_HOLD ? "kind=\"holds\"" : "kind=\"debits\"", n);
	pthread_mutex_lock(&ldg_lanes_lock);
	for (ldg_waiter *m = lead->next, *next; m; m = next) {
		next = m->next; /* m may return (and its stack go) once told */
		m->turn = rc == 0 ? LDG_POSTED : LDG_ALONE;
		pthread_cond_signal(&m->cond);
	}
	pthread_mutex_unlock(&ldg_lanes_lock);
	ldg_lane_pass(lane);
	return rc == 0 ? 0 : ldg_alone(c, lead);
}

/* w through its group's lane: at once when the group is free, else queued
 * for the next batch of its kind. */
static int
ldg_coalesce(db_conn *c, ldg_waiter *w, const char *group_id)
{
	pthread_condattr_t attr;
	ldg_lane *lane;
	int claimed, rc;

	if (!ldg_coalesce_on)
		return ldg_alone(c, w);
	pthread_mutex_lock(&ldg_lanes_lock);
	lane = ldg_lane_find(group_id, &claimed);
	if (!lane || claimed) { /* the group is free (or no lane is): at once */
		pthread_mutex_unlock(&ldg_lanes_lock);
		rc = ldg_alone(c, w);
		if (lane)
			ldg_lane_pass(lane);
		return rc;
	}
	w->turn = LDG_QUEUED;
	w->give_up_us = ldg_now_us() + ldg_wait_ms(w->ctx) * 1000;
	w->deadline_us =
		svc_tx_timeout(w->ctx) > 0 ? ldg_now_us() + svc_tx_timeout(w->ctx) * 1000 : 0;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	rc = ldg_wait_turn(lane, w);
	pthread_mutex_unlock(&ldg_lanes_lock);
	if (rc == 0 && w->turn == LDG_LEAD)
		rc = ldg_lead(c, lane, w);
	else if (rc == 0 && w->turn == LDG_ALONE)
		rc = ldg_alone(c, w);
	pthread_cond_destroy(&w->cond);
	return rc;
}

int
ldg_coalesce_post(rpc_ctx *ctx, db_conn *c, ldg_post_tx *t)
{
	ldg_waiter w = {.kind = LDG_KIND_DEBIT, .ctx = ctx, .t = t};

	return ldg_coalesce(c, &w, t->spec->group_id);
}

int
ldg_coalesce_hold(rpc_ctx *ctx, db_conn *c, ldg_hold_slot *hold)
{
	ldg_waiter w = {.kind = LDG_KIND_HOLD, .ctx = ctx, .hold = hold};

	return ldg_coalesce(c, &w, hold->group_id);
}
