/* flow: what handlers and the worker both do to a request. */
#ifndef KOLO_WDR_FLOW_H
#define KOLO_WDR_FLOW_H

#include "store.h"
#include "svc/call.h"
#include "withdrawals.h"

typedef svc_env wdr_env;

/* Asks payments for the payout of an APPROVED request (idempotent per
 * attempt) and records what it says: PAID with executed_at on SUCCESS,
 * the failure on FAILED, the payout id while PENDING. Nothing for a
 * request in any other state. */
KOLO_MUST_CHECK int wdr_pay(wdr_env *env, const char *withdrawal_id);

/* The sweeper and the payout poller, one pass (the worker loops it). */
void wdr_worker_pass(void);
KOLO_MUST_CHECK int wdr_worker_start(void);
void wdr_worker_stop(void);

#endif
