/* Paying approved requests, and the worker that keeps at it. */
#include "flow.h"

#include <string.h>

#include "kolo/payments/v1/payments.pb-c.h"
#include "log/log.h"
#include "svc/beneficiary.h"
#include "svc/worker.h"

static const char *wdr_payout_status_text(int status)
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

typedef struct wdr_record_tx {
	const char *id;
	int attempt;
	const Kolo__Payments__V1__Payout *payout;
} wdr_record_tx;

static int wdr_record_body(db_conn *c, void *arg)
{
	wdr_record_tx *t = arg;
	const Kolo__Payments__V1__Payout *p = t->payout;

	return wdr_store_set_payout(c, t->id, t->attempt, p->id,
				    wdr_payout_status_text(p->status),
				    p->failure_reason, p->executed_at);
}

int wdr_pay(wdr_env *env, const char *withdrawal_id)
{
	Kolo__Payments__V1__CreatePayoutRequest req =
		KOLO__PAYMENTS__V1__CREATE_PAYOUT_REQUEST__INIT;
	Kolo__Payments__V1__CreatePayoutResponse *resp = NULL;
	Kolo__Common__V1__Beneficiary b;
	wdr_record_tx t = { .id = withdrawal_id };
	wdr_row row;
	db_conn *c = NULL;
	int found = 0;
	int rc = db_thread_conn(&c);

	if (rc == 0)
		rc = wdr_store_get(c, env->arena, withdrawal_id, 0, &row, &found);
	if (rc < 0 || !found || strcmp(row.status, "APPROVED") != 0 ||
	    strcmp(row.payout_status, "FAILED") == 0 || strcmp(row.payout_status, "SUCCESS") == 0)
		return rc;
	rc = svc_beneficiary_parse(&b, env->arena, row.beneficiary);
	if (rc < 0)
		return rc;
	req.withdrawal_id = row.id;
	req.group_id = row.group_id;
	req.amount_kobo = row.amount_kobo;
	req.beneficiary = &b;
	req.narration = row.reason;
	req.attempt = row.payout_attempt;
	rc = svc_env_call(env, wdr_current()->payments, "CreatePayout", &req.base,
			  (ProtobufCMessage **)&resp, SVC_CALL_INTERNAL);
	if (rc < 0)
		return rc;
	t.payout = resp->payout;
	t.attempt = row.payout_attempt;
	rc = db_thread_conn(&c);
	if (rc == 0)
		rc = db_tx(c, svc_env_timeout(env), wdr_record_body, &t);
	if (rc == 0)
		log_event(LOG_LVL_INFO, "withdrawal payout", "withdrawal_id", withdrawal_id,
			  "payout_id", resp->payout->id, "status",
			  wdr_payout_status_text(resp->payout->status), NULL);
	return rc;
}

/* --- worker ----------------------------------------------------------------- */

#define WDR_WORKER_BATCH 32

void wdr_worker_pass(void)
{
	mem_arena *arena = mem_arena_new(0);
	wdr_env env = { .arena = arena };
	db_conn *c = NULL;
	char **ids = NULL;
	int n = 0, expired = 0;

	if (db_thread_conn(&c) == 0 && wdr_store_expire(c, &expired) == 0 && expired > 0)
		log_event(LOG_LVL_INFO, "expired withdrawals declined", NULL);
	if (db_thread_conn(&c) == 0 &&
	    wdr_store_unpaid(c, arena, wdr_current()->payout_idle_s, WDR_WORKER_BATCH, &ids,
			     &n) == 0) {
		for (int i = 0; i < n; i++) {
			if (wdr_pay(&env, ids[i]) < 0)
				log_event(LOG_LVL_WARN, "payout not asked for yet",
					  "withdrawal_id", ids[i], "reason",
					  err_last()->reason, NULL);
		}
	}
	mem_arena_free(arena);
}

static svc_worker *wdr_worker;

int wdr_worker_start(void)
{
	return svc_worker_start(&wdr_worker, wdr_worker_pass,
				wdr_current()->worker_interval_ms);
}

void wdr_worker_stop(void)
{
	svc_worker_stop(wdr_worker);
	wdr_worker = NULL;
}
