/* flow: what handlers and the worker both do to a request. */
#ifndef KOLO_WDR_FLOW_H
#define KOLO_WDR_FLOW_H

#include "store.h"
#include "svc/call.h"
#include "withdrawals.h"

typedef svc_env wdr_env;

/* A move applied in its own transaction (db_tx body): *moved is 0 when
 * the request was no longer where the mover saw it. */
typedef struct wdr_move_tx {
	const wdr_move *move;
	int *moved;
} wdr_move_tx;
KOLO_MUST_CHECK int wdr_move_body(db_conn *c, void *arg);

/* Asks payments for the payout of an APPROVED request (idempotent per
 * attempt) and applies what it says: PAID on SUCCESS; PAYOUT_FAILED (or
 * CLOSED after the last attempt) once a failed payout is finished; while
 * it is not, or payments cannot be asked, when to ask again (backing off).
 * Nothing for a request in any other state. */
KOLO_MUST_CHECK int wdr_pay(wdr_env *env, const char *withdrawal_id);

/* The sweeper and the payout poller, one pass (the worker loops it). */
void wdr_worker_pass(void);
KOLO_MUST_CHECK int wdr_worker_start(void);
void wdr_worker_stop(void);

#endif
