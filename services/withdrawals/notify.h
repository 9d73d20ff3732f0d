/* notify: the events of withdrawals (DESIGN §16, docs/events.md), written
 * into withdrawals_outbox in the transaction of the change they tell of. */
#ifndef KOLO_WDR_NOTIFY_H
#define KOLO_WDR_NOTIFY_H

#include "store.h"

/* A move of the table applied (wdr_store_move) with its event: *out_moved is 0,
 * and nothing is written, when the request was no longer in m->from. */
KOLO_MUST_CHECK int wdr_notify_move_apply(int *out_moved, db_conn *c, mem_arena *a,
					  const wdr_move *m);

/* The event of a move already applied: w is the request after it, m the
 * move (m->actor who made it, "" or NULL the system). */
KOLO_MUST_CHECK int wdr_notify_move(db_conn *c, mem_arena *a, const wdr_move *m, const wdr_row *w);

/* withdrawal.requested of a new request w (actor: its requester). */
KOLO_MUST_CHECK int wdr_notify_requested(db_conn *c, mem_arena *a, const wdr_row *w,
					 const char *actor);

/* withdrawal.approved of an approval that did not complete request w:
 * approvals counted of required. */
KOLO_MUST_CHECK int wdr_notify_approval(db_conn *c, const wdr_row *w, const char *approver,
					int approvals, int required);

#endif
