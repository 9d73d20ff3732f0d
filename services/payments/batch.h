/* batch: a leader/follower combiner (group commit). Threads that want the
 * same kind of write at the same moment queue their item; the first of
 * them finds no writer and becomes it: it takes everything queued (itself
 * included, at most max), writes it with one statement and one commit on
 * its own thread's connection, answers every item, and hands over. The
 * others wait on the combiner's condition variable: no extra thread, no
 * hand-off beyond the wake-up of the answered.
 *
 * An item is answered one of three ways: written (0), refused with the
 * batch's error (an error the writer could not say was not committed,
 * e.g. commit_outcome_unknown: nobody is told it was written, nobody
 * writes it again), or PAY_BATCH_ALONE: the batch failed before its
 * commit, so nothing of it was written and the caller writes its own item
 * alone (one bad row costs the others one statement, never their
 * answer). */
#ifndef KOLO_PAY_BATCH_H
#define KOLO_PAY_BATCH_H

#include <pthread.h>
#include <stddef.h>

#include "err/err.h"
#include "metrics/metrics.h"

/* The answer of an item whose batch failed before its commit. */
#define PAY_BATCH_ALONE 1

typedef struct pay_batch_item {
	void *arg; /* the caller's: what to write, where the writer answers */
	/* private */
	struct pay_batch_item *next;
	int done;
	int rc;
	err_info err; /* the batch's error when rc < 0 */
} pay_batch_item;

/* Writes items[0..n) (n >= 1) in one transaction on the calling thread's
 * connection and returns 0 (each arg answered), PAY_BATCH_ALONE when the
 * database refused it before its commit (nothing written), or another
 * err_code (outcome unknown: every item is refused with it). own is the
 * writing thread's own item (maybe not among items): what it knows of the
 * call that thread serves. */
typedef int (*pay_batch_write_fn)(pay_batch_item *own, pay_batch_item *const *items, size_t n);

typedef struct pay_batch {
	const char *name; /* the metrics label, e.g. "webhook_store" */
	size_t max;	  /* items per batch (>= 1) */
	pay_batch_write_fn write;
	/* private */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pay_batch_item *head, **tail;
	size_t queued;
	int writing;
} pay_batch;

#define PAY_BATCH_INIT(name_, max_, write_)                                                        \
	{                                                                                          \
		.name = (name_), .max = (max_), .write = (write_),                                 \
		.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER                \
	}

/* Queues item (its arg set by the caller) and waits until a writer, maybe
 * this thread, answered it. Returns 0 (written), PAY_BATCH_ALONE (write it
 * alone) or the batch's err_code (recorded again on this thread). */
KOLO_MUST_CHECK int pay_batch_run(pay_batch *b, pay_batch_item *item);

/* How many items wait for a writer now (not the ones being written): for
 * tests. */
size_t pay_batch_queued(pay_batch *b);

/* kolo_payments_batches_total{batch,size,result}: batches written, by
 * size ("1", "2-4", "5-16", "17+") and result (committed, alone, failed);
 * kolo_payments_batched_items_total{batch}: items written in batches of
 * more than one. */
extern metrics_family pay_metric_batches;
extern metrics_family pay_metric_batched_items;

#endif
