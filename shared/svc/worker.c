#include "worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "db/db.h"
#include "mem/mem.h"
#include "rpc/rpc.h"

struct svc_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	void (*pass)(void);
	int interval_ms;
};

static void
svc_worker_deadline(struct timespec *until, int interval_ms)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += interval_ms / 1000;
	until->tv_nsec += (long)(interval_ms % 1000) * 1000000;
	if (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
}

static void *
svc_worker_main(void *arg)
{
	svc_worker *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		pthread_mutex_unlock(&w->lock);
		w->pass();
		pthread_mutex_lock(&w->lock);
		svc_worker_deadline(&until, w->interval_ms);
		while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
			; /* woken without a stop: wait out the interval */
	}
	pthread_mutex_unlock(&w->lock);
	db_thread_close();
	rpc_client_thread_done();
	return NULL;
}

int
svc_worker_start(svc_worker **out, void (*pass)(void), int interval_ms)
{
	svc_worker *w = xcalloc(1, sizeof(*w));
	pthread_condattr_t attr;

	w->pass = pass;
	w->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, svc_worker_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return err_set(ERR_INTERNAL, NULL, "cannot start a worker thread");
	}
	*out = w;
	return 0;
}

void
svc_worker_stop(svc_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
