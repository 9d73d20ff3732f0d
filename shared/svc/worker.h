/* worker: a background thread that runs a pass every interval until it is
 * stopped (recovery, sweeping, polling). */
#ifndef KOLO_SVC_WORKER_H
#define KOLO_SVC_WORKER_H

#include "err/err.h"

typedef struct svc_worker svc_worker;

/* Starts a thread running pass() now and then every interval_ms. *out is
 * owned by the caller: svc_worker_stop(). */
KOLO_MUST_CHECK int svc_worker_start(svc_worker **out, void (*pass)(void), int interval_ms);

/* Wakes the thread, lets a running pass finish, joins and frees it (the
 * thread's database connection closes with it). NULL is fine. */
void svc_worker_stop(svc_worker *w);

#endif
