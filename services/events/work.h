/* work: kolo-events' background work (DESIGN §16).
 *
 * Ingest (one replica at a time, by a session advisory lock): for each
 * service, ReadOutbox -> store the events in one transaction (dropping ids
 * already stored) -> commit -> AckOutbox. A kill anywhere loses nothing
 * (unacked events are read again) and stores nothing twice (by id). Then
 * fan-out: the messages of each new event, one row per event x recipient x
 * channel. Delivery workers (any number, any replica) claim due messages
 * and send them (deliver.c). */
#ifndef KOLO_EVS_WORK_H
#define KOLO_EVS_WORK_H

#include "evs.h"
#include "store.h"

/* How many events one ReadOutbox asks for. */
#define EVS_INGEST_BATCH 500

/* How many events one fan-out batch reads, and how many full batches one
 * pass fans out before the ingest's next turn. */
#define EVS_FANOUT_BATCH  100
#define EVS_FANOUT_ROUNDS 10

/* One batch of source's outbox stored (*out_read of them read, *out_stored of
 * them new), then acked when ack (tests skip it to play a kill between
 * the commit and the ack). */
KOLO_MUST_CHECK int evs_ingest_batch(int *out_read, int *out_stored, evs_source source, int ack);

/* The messages of one stored event, added (none twice) and the event
 * marked fanned out, in one transaction. */
KOLO_MUST_CHECK int evs_fanout_event(mem_arena *a, const evs_event *e);

/* Ingest pass: when this connection leads, every source drained (batch by
 * batch) and every new event fanned out. */
void evs_ingest_pass(void);

/* Delivery pass: due messages claimed and sent until none is due. */
void evs_deliver_pass(void);

/* Group names known during one delivery pass (deliver.c). */
typedef struct evs_name_cache evs_name_cache;

/* One delivery attempt of a claimed message: sent and marked, or failed
 * and marked for a retry (or DEAD); given back uncounted when groups
 * cannot say the name of its group now. names: the names asked already in
 * this pass (NULL: ask groups). deliver.c. */
KOLO_MUST_CHECK int evs_deliver(mem_arena *a, const evs_delivery *d, evs_name_cache *names);

KOLO_MUST_CHECK int evs_workers_start(void);
void evs_workers_stop(void);

#endif
