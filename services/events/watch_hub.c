/* The open WatchEvents streams of the process and their poller. */
#include "watch_hub.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "evs.h"
#include "log/log.h"
#include "mem/mem.h"
#include "store.h"

/* Everything under mu. cond is made by evs_hub_start (a monotonic clock). */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	evs_hub_entry *entries;
	int running;  /* the poller thread exists */
	int stopping; /* evs_hub_stop asked it to end */
	int kicked;   /* read the heads now */
	pthread_t thread;
	void (*thread_start)(void);
} hub = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* --- the streams --------------------------------------------------------- */

/* How many open streams key has (under mu). */
static int
evs_hub_count(const char *key)
{
	int n = 0;

	for (const evs_hub_entry *e = hub.entries; e; e = e->next)
		n += strcmp(e->key, key) == 0;
	return n;
}

static void
evs_hub_push(evs_hub_entry *e)
{
	e->prev = NULL;
	e->next = hub.entries;
	if (hub.entries)
		hub.entries->prev = e;
	hub.entries = e;
}

static int
evs_hub_fill(evs_hub_entry *e, rpc_stream *stream, const char *key, const char *group_id,
	     int64_t after_seq)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	if (strlen(key) >= sizeof(e->key) || strlen(group_id) != TEXT_UUID_LEN)
		return err_set(ERR_INTERNAL, NULL, "a stream key or group id does not fit");
	e->stream = stream;
	memcpy(e->key, key, strlen(key) + 1);
	/* The database answers in lower case. */
	for (i = 0; i < TEXT_UUID_LEN; i++)
		e->group_id[i] = (char)tolower((unsigned char)group_id[i]);
	e->group_id[i] = '\0';
	e->after_seq = after_seq;
	return 0;
}

int
evs_hub_join(evs_hub_entry *e, rpc_stream *stream, const char *key, const char *group_id,
	     int64_t after_seq)
{
	int open, rc = evs_hub_fill(e, stream, key, group_id, after_seq);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&hub.mu);
	open = evs_hub_count(e->key);
	if (evs_watch_may_open(open, evs_current()->watch_per_user))
		evs_hub_push(e);
	else
		rc = err_set(ERR_RESOURCE_EXHAUSTED, "too_many_streams",
			     "%d event streams are open for this caller already", open);
	pthread_mutex_unlock(&hub.mu);
	return rc;
}

void
evs_hub_leave(evs_hub_entry *e)
{
	pthread_mutex_lock(&hub.mu);
	if (e->prev)
		e->prev->next = e->next;
	else
		hub.entries = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	e->stream = NULL;
	pthread_mutex_unlock(&hub.mu);
}

void
evs_hub_seen(evs_hub_entry *e, int64_t after_seq)
{
	pthread_mutex_lock(&hub.mu);
	e->after_seq = after_seq;
	pthread_mutex_unlock(&hub.mu);
}

int
evs_hub_take_news(evs_hub_entry *e)
{
	int news;

	pthread_mutex_lock(&hub.mu);
	news = e->news;
	e->news = 0;
	pthread_mutex_unlock(&hub.mu);
	return news;
}

/* --- the poller ---------------------------------------------------------- */

static int
evs_hub_index_of(char *const *groups, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(groups[i], id) == 0)
			return (int)i;
	}
	return -1;
}

/* Copies of the distinct watched groups' ids into the arena (under mu),
 * so the database is read without the lock; how many (*out NULL: none). */
static int
evs_hub_groups(mem_arena *a, char ***out, size_t *n)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (const evs_hub_entry *e = hub.entries; e; e = e->next)
		cap++;
	if (cap == 0)
		return 0;
	*out = mem_arena_alloc(a, sizeof(**out) * cap);
	for (evs_hub_entry *e = hub.entries; *out && e; e = e->next) {
		if (evs_hub_index_of(*out, *n, e->group_id) >= 0)
			continue;
		(*out)[*n] = mem_arena_strdup(a, e->group_id);
		if (!(*out)[*n])
			return err_oom();
		(*n)++;
	}
	return *out ? 0 : err_oom();
}

/* Wakes the streams whose group's head is past what they saw (under mu).
 * A stream that joined after the groups were taken waits for the next
 * read. */
static void
evs_hub_wake(char *const *groups, const int64_t *heads, size_t n)
{
	for (evs_hub_entry *e = hub.entries; e; e = e->next) {
		int at = evs_hub_index_of(groups, n, e->group_id);

		if (at < 0 || !evs_watch_has_news(heads[at], e->after_seq))
			continue;
		e->news = 1;
		rpc_stream_notify(e->stream);
	}
}

/* One read of the watched groups' heads, then the wake-ups. */
static void
evs_hub_poll(void)
{
	mem_arena *a = mem_arena_new(0);
	char **groups = NULL;
	int64_t *heads = NULL;
	db_conn *c = NULL;
	size_t n = 0;
	int rc;

	pthread_mutex_lock(&hub.mu);
	rc = evs_hub_groups(a, &groups, &n);
	pthread_mutex_unlock(&hub.mu);
	if (rc == 0 && n > 0) {
		heads = mem_arena_alloc(a, sizeof(*heads) * n);
		rc = heads ? db_thread_conn(&c) : err_oom();
	}
	if (rc == 0 && n > 0)
		rc = evs_store_group_heads(heads, c, groups, n);
	if (rc == 0 && n > 0) {
		pthread_mutex_lock(&hub.mu);
		evs_hub_wake(groups, heads, n);
		pthread_mutex_unlock(&hub.mu);
	}
	if (rc < 0)
		log_event(LOG_LVL_WARN, "watched groups not read", "reason", err_last()->reason,
			  NULL);
	mem_arena_free(a);
}

static struct timespec
evs_hub_after(int64_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static int64_t
evs_hub_period_ms(void)
{
	int ms = evs_current()->watch_poll_ms;

	return ms > 0 ? ms : EVS_WATCH_POLL_MS;
}

static void *
evs_hub_main(void *arg)
{
	struct timespec until;

	(void)arg;
	if (hub.thread_start)
		hub.thread_start();
	pthread_mutex_lock(&hub.mu);
	while (!hub.stopping) {
		/* A kick during the read below makes another read at once. */
		hub.kicked = 0;
		pthread_mutex_unlock(&hub.mu);
		evs_hub_poll();
		pthread_mutex_lock(&hub.mu);
		until = evs_hub_after(evs_hub_period_ms());
		while (!hub.stopping && !hub.kicked &&
		       pthread_cond_timedwait(&hub.cond, &hub.mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&hub.mu);
	db_thread_close();
	return NULL;
}

void
evs_hub_kick(void)
{
	pthread_mutex_lock(&hub.mu);
	hub.kicked = 1;
	if (hub.running)
		pthread_cond_signal(&hub.cond);
	pthread_mutex_unlock(&hub.mu);
}

int
evs_hub_start(void (*thread_start)(void))
{
	pthread_condattr_t attr;
	int rc = 0;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&hub.cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_lock(&hub.mu);
	hub.stopping = 0;
	hub.thread_start = thread_start;
	if (pthread_create(&hub.thread, NULL, evs_hub_main, NULL) == 0)
		hub.running = 1;
	else
		rc = err_set(ERR_INTERNAL, NULL, "cannot start the streams' poller");
	pthread_mutex_unlock(&hub.mu);
	if (rc < 0)
		pthread_cond_destroy(&hub.cond);
	return rc;
}

void
evs_hub_stop(void)
{
	pthread_mutex_lock(&hub.mu);
	if (!hub.running) {
		pthread_mutex_unlock(&hub.mu);
		return;
	}
	hub.stopping = 1;
	pthread_cond_signal(&hub.cond);
	pthread_mutex_unlock(&hub.mu);
	pthread_join(hub.thread, NULL);
	pthread_mutex_lock(&hub.mu);
	hub.running = 0;
	pthread_mutex_unlock(&hub.mu);
	pthread_cond_destroy(&hub.cond);
}
