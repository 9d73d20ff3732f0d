/* webhook_work: the partner webhooks' worker (DESIGN §16).
 *
 * Each pass: the events stored since an endpoint last looked become its
 * deliveries (store_webhooks); then due deliveries are claimed with a
 * lease, at most one pending per endpoint at a time and the earliest
 * first (order per endpoint), sent (webhook_send), and the outcome
 * recorded in one transaction: delivered; or pending again on the
 * schedule; or dead after the window. An endpoint failing for the pause
 * time is paused in that transaction and a webhook.paused event is stored
 * as kolo-events' own, which tells the group's officers (and partners of
 * the group's other endpoints). Any number of workers in any replica. */
#ifndef KOLO_WEBHOOK_WORK_H
#define KOLO_WEBHOOK_WORK_H

#include "err/err.h"

/* One pass on the calling thread's connection: *attempts gets how many
 * deliveries were attempted. ERR_* of the database only. */
KOLO_MUST_CHECK int whk_work_once(int *attempts);

/* svc_worker's pass: whk_work_once until nothing was attempted. */
void whk_work_pass(void);

/* Reads the KOLO_WEBHOOK_* settings (webhooks.h) and starts the worker;
 * whk_stop stops it. main.c. */
KOLO_MUST_CHECK int whk_start(void);
void whk_stop(void);

#endif
