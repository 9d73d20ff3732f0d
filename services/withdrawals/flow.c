/* Paying approved requests, and the worker that keeps at it. */
#include "flow.h"

#include <string.h>
#include <time.h>

#include "beneficiary/beneficiary.h"
#include "kolo/ledger/v1/ledger.pb-c.h"
#include "kolo/payments/v1/payments.pb-c.h"
#include "log/log.h"
#include "svc/worker.h"
#include "metrics/metrics.h"

/* The longest wait between two asks about an unfinished payout. */
#define WDR_ASK_MAX_S	 3600
#define WDR_WORKER_BATCH 32

/* --- holds (DESIGN §13) --------------------------------------------------------- */

const char *
wdr_hold_ref(mem_arena *a, const char *id, int attempt)
{
	if (attempt <= 1)
		return mem_arena_printf(a, "withdrawal:%s", id);
	return mem_arena_printf(a, "withdrawal:%s:%d", id, attempt);
}

const char *
wdr_time_in(mem_arena *a, int64_t seconds)
{
	time_t t = time(NULL) + (time_t)seconds;
	struct tm tm;
	char text[32];

	if (!gmtime_r(&t, &tm) || strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return mem_arena_printf(a, "%s", text);
}

int
wdr_hold(wdr_env *env, const char *group_id, int64_t amount, const char *ref,
	 const char *expires_at)
{
	Kolo__Ledger__V1__PlaceHoldRequest req = KOLO__LEDGER__V1__PLACE_HOLD_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;

	if (!ref || !expires_at)
		return err_oom();
	req.group_id = (char *)group_id;
	req.amount_kobo = amount;
	req.reference = (char *)ref;
	req.expires_at = (char *)expires_at;
	return svc_env_call(env, wdr_current()->ledger, "PlaceHold", &req.base, &resp,
			    SVC_CALL_INTERNAL);
}

int
wdr_release(wdr_env *env, const char *id, const char *ref)
{
	Kolo__Ledger__V1__ReleaseHoldRequest req = KOLO__LEDGER__V1__RELEASE_HOLD_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	db_conn *c = NULL;
	int rc = 0;

	if (!ref[0])
		return 0;
	req.reference = (char *)ref;
	rc = svc_env_call(env, wdr_current()->ledger, "ReleaseHold", &req.base, &resp,
			  SVC_CALL_INTERNAL);
	/* Captured or never placed: closed all the same. */
	if (rc == ERR_NOT_FOUND ||
	    (rc == ERR_FAILED_PRECONDITION && strcmp(err_last()->reason, "hold_captured") == 0))
		rc = 0;
	if (rc < 0 || !id)
		return rc;
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = wdr_store_set_hold(c, id, "");
	return rc;
}

void
wdr_release_quietly(wdr_env *env, const char *ref)
{
	err_info kept = *err_last(); /* the caller's error stands */

	if (wdr_release(env, NULL, ref) < 0)
		log_event(LOG_LVL_WARN, "hold left to lapse", "reference", ref, NULL);
	if (kept.code != ERR_OK)
		err_set(kept.code, kept.reason, "%s", kept.message);
	else
		err_clear();
}

static const char *
wdr_payout_status_text(int status)
{
	switch (status) {
	case KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS:
		return "SUCCESS";
	case KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED:
		return "FAILED";
	default:
		return "PENDING";
	}
}

/* A payout's word for the state machine: FAILED counts only once payments
 * finished it (nothing debited, or the money back). */
static wdr_payout_word
wdr_word_of(const Kolo__Payments__V1__Payout *p)
{
	if (p->status == KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_SUCCESS)
		return WDR_WORD_SUCCESS;
	if (p->status == KOLO__COMMON__V1__PAYOUT_STATUS__PAYOUT_STATUS_FAILED && p->finished)
		return WDR_WORD_FAILED;
	return WDR_WORD_PENDING;
}

/* When to ask payments again about a request asked `tries` times. */
static int64_t
wdr_next_ask_s(int tries)
{
	return wdr_backoff_s(tries, wdr_current()->payout_idle_s, WDR_ASK_MAX_S);
}

/* Records that payments was asked about row's payout and settled nothing
 * (payout_id "" when it could not be asked). */
static int
wdr_note_asked(const wdr_row *row, const char *payout_id)
{
	db_conn *c = NULL;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = wdr_store_payout_asked(c, row->id, row->payout_attempt, payout_id,
					    wdr_next_ask_s(row->payout_tries));
	return rc;
}

/* Applies what payments said of the payout: PAID, PAYOUT_FAILED or CLOSED
 * (a move of the table), or a note to ask again later. */
static int
wdr_record(wdr_env *env, const wdr_row *row, const Kolo__Payments__V1__Payout *p)
{
	wdr_state to = wdr_after_payout(wdr_word_of(p), row->payout_attempt,
					wdr_current()->payout_max_attempts);
	wdr_move m = {.id = row->id,
		      .from = WDR_APPROVED,
		      .to = to,
		      .attempt = row->payout_attempt,
		      .payout_id = p->id,
		      .payout_status = wdr_payout_status_text(p->status),
		      .payout_failure = p->failure_reason,
		      .executed_at = p->executed_at};
	db_conn *c = NULL;
	int moved = 0, rc;

	if (to == WDR_APPROVED)
		return wdr_note_asked(row, p->id);
	if (!wdr_move_allowed(m.from, m.to, WDR_BY_SYSTEM))
		return err_set(ERR_INTERNAL, NULL, "no move from APPROVED to %s",
			       wdr_state_text(to));
	if (to == WDR_PAYOUT_FAILED)
		m.ttl_s = wdr_current()->ttl_s; /* waits for a retry as a request would */
	if (to == WDR_CLOSED)
		m.reason = "payout attempts exhausted";
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_env_timeout(env), wdr_move_body,
			   &(wdr_move_tx){env->arena, &m, &moved});
	if (rc < 0 || !moved)
		return rc;
	log_event(LOG_LVL_INFO, "withdrawal payout", "withdrawal_id", row->id, "payout_id", p->id,
		  "status", wdr_state_text(to), NULL);
	if (to == WDR_PAID)
		return 0; /* its hold was captured (the move forgot it) */
	/* Not needed any more: the attempt's hold is released (the worker
	 * finishes it after a crash). */
	return wdr_release(env, row->id, row->hold_reference);
}

int
wdr_move_body(db_conn *c, void *arg)
{
	wdr_move_tx *t = arg;

	return wdr_notify_move_apply(t->moved, c, t->arena, t->move);
}

int
wdr_pay(wdr_env *env, const char *withdrawal_id)
{
	Kolo__Payments__V1__CreatePayoutRequest req =
		KOLO__PAYMENTS__V1__CREATE_PAYOUT_REQUEST__INIT;
	Kolo__Payments__V1__CreatePayoutResponse *resp = NULL;
	Kolo__Common__V1__Beneficiary b;
	wdr_row row;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = wdr_store_get(&row, &found, env->arena, c, withdrawal_id, 0);
	if (rc < 0 || !found || row.state != WDR_APPROVED)
		return rc;
	rc = beneficiary_parse(&b, env->arena, row.beneficiary);
	if (rc < 0)
		return rc;
	req.withdrawal_id = row.id;
	req.group_id = row.group_id;
	req.amount_kobo = row.amount_kobo;
	req.beneficiary = &b;
	req.narration = row.reason;
	req.attempt = row.payout_attempt;
	req.hold_reference = row.hold_reference;
	/* Approved: its hold lasts until captured (a closed one makes the
	 * capture, and so the attempt, fail: the money was never promised). */
	if (row.hold_reference[0] &&
	    wdr_hold(env, row.group_id, row.amount_kobo, row.hold_reference, "") < 0)
		log_event(LOG_LVL_WARN, "hold not renewed", "withdrawal_id", row.id, "reason",
			  err_last()->reason, NULL);
	rc = svc_env_call(env, wdr_current()->payments, "CreatePayout", &req.base,
			  (ProtobufCMessage **)&resp, SVC_CALL_INTERNAL);
	if (rc < 0) {
		err_info saved = *err_last();

		if (wdr_note_asked(&row, "") < 0)
			log_event(LOG_LVL_WARN, "cannot note a payout ask", "withdrawal_id", row.id,
				  NULL);
		return err_set(saved.code, saved.reason, "%s", saved.message);
	}
	return wdr_record(env, &row, resp->payout);
}

/* --- worker ----------------------------------------------------------------- */

/* The most expired requests one sweep ends. */
#define WDR_EXPIRE_BATCH 500

typedef struct wdr_expire_tx {
	mem_arena *arena;
	int n;
} wdr_expire_tx;

/* Ends the requests past their expiry, each with its event, in one
 * transaction. */
static int
wdr_expire_body(db_conn *c, void *arg)
{
	wdr_expire_tx *t = arg;
	wdr_row *rows = NULL;
	int rc = wdr_store_expire(&rows, &t->n, t->arena, c, WDR_EXPIRE_BATCH);

	for (int i = 0; rc == 0 && i < t->n; i++) {
		wdr_move m = {.id = rows[i].id,
			      .to = rows[i].state,
			      .reason = "expired",
			      .from = rows[i].state == WDR_DECLINED ? WDR_PENDING
								    : WDR_PAYOUT_FAILED};

		rc = wdr_notify_move(c, t->arena, &m, &rows[i]);
	}
	return rc;
}

/* Holds of requests that ended (or whose attempt ended) still noted open:
 * a release a crash interrupted, or the sweeper's expiries. */
static void
wdr_close_holds(wdr_env *env)
{
	db_conn *c = NULL;
	char **ids = NULL, **refs = NULL;
	int n = 0;

	if (db_thread_conn(&c) < 0 ||
	    wdr_store_open_holds(&ids, &refs, &n, env->arena, c, WDR_WORKER_BATCH) < 0)
		return;
	for (int i = 0; i < n; i++) {
		if (wdr_release(env, ids[i], refs[i]) < 0)
			log_event(LOG_LVL_WARN, "hold not released yet", "withdrawal_id", ids[i],
				  "reason", err_last()->reason, NULL);
	}
}

void
wdr_worker_pass(void)
{
	mem_arena *arena = mem_arena_new(0);
	wdr_env env = {.arena = arena};
	db_conn *c = NULL;
	char **ids = NULL;
	wdr_expire_tx expired = {.arena = arena};
	int n = 0;

	if (db_thread_conn(&c) == 0 &&
	    db_tx(c, SVC_BACKGROUND_TIMEOUT_MS, wdr_expire_body, &expired) == 0 && expired.n > 0)
		log_event(LOG_LVL_INFO, "expired withdrawals declined", NULL);
	if (db_thread_conn(&c) == 0 &&
	    wdr_store_unpaid(&ids, &n, arena, c, wdr_current()->payout_idle_s, WDR_WORKER_BATCH) ==
		    0) {
		for (int i = 0; i < n; i++) {
			if (wdr_pay(&env, ids[i]) < 0)
				log_event(LOG_LVL_WARN, "payout not asked for yet", "withdrawal_id",
					  ids[i], "reason", err_last()->reason, NULL);
		}
	}
	mem_arena_reset(arena);
	wdr_close_holds(&env);
	mem_arena_free(arena);
}

static svc_worker *wdr_worker;
static metrics_queue wdr_payout_queue = {.worker = "payouts", .measure = wdr_store_payout_queue};

int
wdr_worker_start(void)
{
	int rc = svc_worker_start(&wdr_worker, wdr_worker_pass, wdr_current()->worker_interval_ms);

	if (rc == 0)
		metrics_queue_register(&wdr_payout_queue);
	return rc;
}

void
wdr_worker_stop(void)
{
	if (wdr_worker)
		metrics_queue_unregister(&wdr_payout_queue);
	svc_worker_stop(wdr_worker);
	wdr_worker = NULL;
}
