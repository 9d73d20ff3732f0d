/* flow: what handlers and the worker both do to a request. */
#ifndef KOLO_WDR_FLOW_H
#define KOLO_WDR_FLOW_H

#include "notify.h"
#include "store.h"
#include "svc/call.h"
#include "withdrawals.h"

typedef svc_env wdr_env;

/* A move applied in its own transaction (db_tx body): *moved is 0 when
 * the request was no longer where the mover saw it. */
typedef struct wdr_move_tx {
	mem_arena *arena;
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

/* --- holds (DESIGN §13): a request's money is held from request to payout --- */

/* How long a hold placed before its request is committed lives, unless
 * renewed: a crash in between locks the group's money that long at most. */
#define WDR_HOLD_GRACE_S 120

/* The ledger hold of a request's attempt: "withdrawal:<id>[:<attempt>]". */
const char *wdr_hold_ref(mem_arena *a, const char *id, int attempt);
/* RFC 3339 UTC of seconds from now (NULL when out of memory). */
const char *wdr_time_in(mem_arena *a, int64_t seconds);
/* PlaceHold: amount of the group promised to ref until expires_at ("":
 * until captured or released); placed again, a live hold takes the new
 * expiry. FAILED_PRECONDITION insufficient_funds when available is short. */
KOLO_MUST_CHECK int wdr_hold(wdr_env *env, const char *group_id, int64_t amount, const char *ref,
			     const char *expires_at);
/* Releases the hold ref ("": none) and forgets it on request id's row (NULL:
 * no row owns it); a hold already captured or never placed counts as closed. */
KOLO_MUST_CHECK int wdr_release(wdr_env *env, const char *id, const char *ref);
/* wdr_release of a hold no request owns (a create or retry that did not
 * commit), keeping the caller's error; a failure leaves it to lapse after
 * its grace. */
void wdr_release_quietly(wdr_env *env, const char *ref);

/* The sweeper and the payout poller, one pass (the worker loops it). */
void wdr_worker_pass(void);
KOLO_MUST_CHECK int wdr_worker_start(void);
void wdr_worker_stop(void);

#endif
