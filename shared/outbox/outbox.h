/* outbox: a service's events, written in the transaction of the change
 * they tell of (DESIGN §16; migration 0024).
 *
 * A handler adds an event with outbox_add() inside its db_tx body, after
 * it took the lock that orders the group's changes, so the event commits
 * (or rolls back) with the change. kolo-events reads each service's
 * outbox through the service's ReadOutbox RPC and acks what it stored
 * (AckOutbox), which deletes it; the handlers of both are here. */
#ifndef KOLO_OUTBOX_H
#define KOLO_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"
#include "kolo/common/v1/common.pb-c.h"
#include "mem/mem.h"
#include "rpc/rpc.h"

/* The outbox tables, one per service. */
typedef enum outbox_table {
	OUTBOX_IDENTITY,
	OUTBOX_GROUPS,
	OUTBOX_LEDGER,
	OUTBOX_WITHDRAWALS,
	OUTBOX_PAYMENTS,
} outbox_table;

/* The most events one ReadOutbox returns. */
#define OUTBOX_READ_MAX 500

/* What an event is about; NULL or "" ids are not set. */
typedef struct outbox_event {
	const char *type;     /* an EVT_* name of events/events.h */
	const char *group_id; /* the group it concerns */
	const char *user_id;  /* the user it concerns */
	const char *actor_id; /* the user who acted */
} outbox_event;

/* Adds one event in the caller's transaction on c. data_fmt is a jansson
 * json_pack() format of a JSON object with its arguments after it (NULL:
 * {}): the type's fields of docs/events.md. ERR_INTERNAL for a type not
 * in the catalogue or a format that does not make an object (bugs). */
KOLO_MUST_CHECK int outbox_add(db_conn *c, outbox_table table, const outbox_event *event,
			       const char *data_fmt, ...);

/* Up to limit (1..OUTBOX_READ_MAX; 0 or more: the max) of the oldest
 * events, lowest seq first, into *out (n_out of them), in the arena. */
KOLO_MUST_CHECK int outbox_read(Kolo__Common__V1__OutboxEvent ***out, size_t *n_out, db_conn *c,
				outbox_table table, int32_t limit, mem_arena *arena);

/* Deletes the events of these ids (stored by kolo-events); *acked gets
 * how many were still there. ERR_INVALID_ARGUMENT "invalid_id" for an id
 * that is not a UUID, "too_many_ids" for more than OUTBOX_READ_MAX. */
KOLO_MUST_CHECK int outbox_ack(int32_t *acked, db_conn *c, outbox_table table, char *const *ids,
			       size_t n_ids, mem_arena *arena);

/* The bodies of every service's ReadOutbox and AckOutbox handlers, on the
 * calling worker's connection. */
KOLO_MUST_CHECK int outbox_serve_read(Kolo__Common__V1__OutboxEvent ***out, size_t *n_out,
				      rpc_ctx *ctx, outbox_table table, int32_t limit);
KOLO_MUST_CHECK int outbox_serve_ack(int32_t *acked, rpc_ctx *ctx, outbox_table table,
				     char *const *ids, size_t n_ids);

/* The outbox of the service whose caller name is service ("groups");
 * 0, or -1 when it has none. */
int outbox_table_of(outbox_table *out, const char *service);

/* Adds (removes) the table's gauges kolo_worker_queue_depth and
 * kolo_worker_queue_oldest_age_seconds {worker="outbox_ingest"}: events
 * kolo-events has not stored yet (metrics/metrics.h). */
void outbox_metrics_register(outbox_table table);
void outbox_metrics_unregister(outbox_table table);

#endif
