/* The leader/follower combiner of batch.h. */
#include "batch.h"

#include <assert.h>
#include <stdio.h>

#define PAY_BATCH_MAX 64

metrics_family pay_metric_batches =
	METRICS_FAMILY(METRICS_COUNTER, "kolo_payments_batches_total",
		       "Batched writes of kolo-payments, by batch, size and result.");
metrics_family pay_metric_batched_items =
	METRICS_FAMILY(METRICS_COUNTER, "kolo_payments_batched_items_total",
		       "Items written in batches of more than one, by batch.");

static const char *
pay_batch_size_label(size_t n)
{
	return n == 1 ? "1" : n <= 4 ? "2-4" : n <= 16 ? "5-16" : "17+";
}

static void
pay_batch_count(const pay_batch *b, size_t n, int rc)
{
	char labels[METRICS_LABELS_MAX];

	snprintf(labels, sizeof(labels), "batch=\"%s\",size=\"%s\",result=\"%s\"", b->name,
		 pay_batch_size_label(n),
		 rc == 0		 ? "committed"
		 : rc == PAY_BATCH_ALONE ? "alone"
					 : "failed");
	metrics_add(&pay_metric_batches, labels, 1);
	if (rc == 0 && n > 1) {
		snprintf(labels, sizeof(labels), "batch=\"%s\"", b->name);
		metrics_add(&pay_metric_batched_items, labels, (int64_t)n);
	}
}

/* Takes up to b->max queued items (oldest first) into items. Locked. */
static size_t
pay_batch_take(pay_batch *b, pay_batch_item **items)
{
	size_t n = 0;

	while (b->head && n < b->max) {
		items[n++] = b->head;
		b->head = b->head->next;
	}
	if (!b->head)
		b->tail = &b->head;
	b->queued -= n;
	return n;
}

/* This thread writes one batch: taken under the lock, written without it,
 * answered under it. Locked on entry and on return. */
static void
pay_batch_lead(pay_batch *b, pay_batch_item *own)
{
	pay_batch_item *items[PAY_BATCH_MAX];
	size_t n = pay_batch_take(b, items);
	err_info failed = {0};
	int rc;

	b->writing = 1;
	pthread_mutex_unlock(&b->lock);
	rc = b->write(own, items, n);
	if (rc < 0)
		failed = *err_last();
	pay_batch_count(b, n, rc);
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < n; i++) {
		items[i]->rc = rc;
		if (rc < 0)
			items[i]->err = failed;
		items[i]->done = 1;
	}
	b->writing = 0;
	/* The answered wake up; of those still queued, one leads next. */
	pthread_cond_broadcast(&b->cond);
}

int
pay_batch_run(pay_batch *b, pay_batch_item *item)
{
	int rc;

	assert(b->max >= 1 && b->max <= PAY_BATCH_MAX);
	item->next = NULL;
	item->done = 0;
	pthread_mutex_lock(&b->lock);
	if (!b->tail)
		b->tail = &b->head;
	*b->tail = item;
	b->tail = &item->next;
	b->queued++;
	while (!item->done) {
		if (b->writing)
			pthread_cond_wait(&b->cond, &b->lock);
		else
			pay_batch_lead(b, item);
	}
	rc = item->rc;
	pthread_mutex_unlock(&b->lock);
	if (rc < 0)
		err_restore(&item->err);
	return rc;
}

size_t
pay_batch_queued(pay_batch *b)
{
	size_t n;

	pthread_mutex_lock(&b->lock);
	n = b->queued;
	pthread_mutex_unlock(&b->lock);
	return n;
}
