#include "sessions.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/revoked.h"
#include "call.h"
#include "config/cfg.h"
#include "kolo/identity/v1/identity.pb-c.h"
#include "log/log.h"
#include "worker.h"

/* Revocations asked for per call, and pages per poll at most (a backlog
 * larger than this is finished by the next polls). */
#define SVC_SESSIONS_PAGE	1000
#define SVC_SESSIONS_MAX_PAGES	64
#define SVC_SESSIONS_CURSOR_MAX 64

/* The process's follower of identity. Lock order: life, then poll_lock. */
static struct {
	/* Held shared by checks and polls, exclusively by start and stop
	 * (which create and free the set), so either may run while serving. */
	pthread_rwlock_t life;
	pthread_mutex_t poll_lock; /* one poll at a time; guards the rest */
	auth_revoked *set;
	rpc_channel *identity;
	svc_sessions_config config;
	svc_worker *worker;
	char cursor[SVC_SESSIONS_CURSOR_MAX];
	int failing; /* the last poll failed: logged once per outage */
	/* Polls finished so far, for checks waiting on the next one; the
	 * condition (monotonic clock) lives from start to stop. */
	pthread_mutex_t done_lock;
	pthread_cond_t done;
	uint64_t polls_done;
} svc_sessions = {.life = PTHREAD_RWLOCK_INITIALIZER,
		  .poll_lock = PTHREAD_MUTEX_INITIALIZER,
		  .done_lock = PTHREAD_MUTEX_INITIALIZER};

static int64_t
svc_sessions_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
svc_sessions_config_check(const svc_sessions_config *c)
{
	if (c->poll_ms < 10 || c->max_stale_ms <= c->poll_ms)
		return err_set(ERR_INVALID_ARGUMENT, "bad_config",
			       "KOLO_SESSION_MAX_STALE_MS must be above "
			       "KOLO_SESSION_POLL_MS");
	return 0;
}

int
svc_sessions_config_load(svc_sessions_config *out)
{
	const cfg_var vars[] = {
		{"KOLO_SESSION_POLL_MS", CFG_INT, "500", 10, 60000, &out->poll_ms},
		{"KOLO_SESSION_MAX_STALE_MS", CFG_INT, "2000", 20, 600000, &out->max_stale_ms},
	};
	int rc;

	*out = (svc_sessions_config){0}; /* caller, token: the process's own */
	rc = cfg_load(vars, sizeof(vars) / sizeof(vars[0]));
	if (rc < 0)
		return rc;
	return svc_sessions_config_check(out);
}

/* "2026-12-06T10:23:00.123456Z" (DB_RFC3339) to Unix seconds, a fraction
 * rounded up: a session is remembered a little long, never too short. */
static int
svc_sessions_parse_time(const char *text, int64_t *out)
{
	struct tm tm;
	const char *p;
	int fraction = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p && *p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			fraction |= *p != '0';
	}
	if (!p || strcmp(p, "Z") != 0)
		return err_set(ERR_INTERNAL, "bad_revocation",
			       "identity sent a revocation time that is not RFC 3339");
	t = timegm(&tm);
	*out = (int64_t)t + fraction;
	return 0;
}

/* Adds one page to the set. */
static int
svc_sessions_apply(const Kolo__Identity__V1__ListSessionRevocationsResponse *page)
{
	int64_t valid_until = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < page->n_revocations; i++) {
		const Kolo__Identity__V1__SessionRevocation *r = page->revocations[i];

		rc = svc_sessions_parse_time(r->valid_until, &valid_until);
		if (rc == 0)
			rc = auth_revoked_add(svc_sessions.set, r->session_id, valid_until);
	}
	if (rc == 0 && strlen(page->next_cursor) >= SVC_SESSIONS_CURSOR_MAX)
		rc = err_set(ERR_INTERNAL, "bad_revocation", "identity sent an over-long cursor");
	return rc;
}

/* Pages through identity's list from the cursor to its end; the cursor
 * moves past every page applied. Called with poll_lock held. */
static int
svc_sessions_fetch(mem_arena *arena, int *complete)
{
	Kolo__Identity__V1__ListSessionRevocationsRequest req =
		KOLO__IDENTITY__V1__LIST_SESSION_REVOCATIONS_REQUEST__INIT;
	Kolo__Identity__V1__ListSessionRevocationsResponse *page = NULL;
	int64_t timeout_ms = svc_sessions.config.max_stale_ms / 2;
	int rc = 0;

	*complete = 0;
	req.page_size = SVC_SESSIONS_PAGE;
	for (int n = 0; rc == 0 && !*complete && n < SVC_SESSIONS_MAX_PAGES; n++) {
		req.cursor = svc_sessions.cursor;
		rc = svc_call_background(svc_sessions.identity, "ListSessionRevocations", &req.base,
					 (ProtobufCMessage **)&page, arena, timeout_ms,
					 SVC_CALL_INTERNAL | SVC_CALL_WAIT_FOR_READY);
		if (rc == 0)
			rc = svc_sessions_apply(page);
		if (rc == 0) {
			snprintf(svc_sessions.cursor, sizeof(svc_sessions.cursor), "%s",
				 page->next_cursor);
			*complete = !page->more;
		}
	}
	return rc;
}

/* One poll; called with poll_lock held. */
static int
svc_sessions_poll_locked(void)
{
	mem_arena *arena = mem_arena_new(0);
	int64_t started_ms = svc_sessions_mono_ms();
	int complete = 0;
	int rc = svc_sessions_fetch(arena, &complete);

	mem_arena_free(arena);
	if (rc == 0 && complete) {
		auth_revoked_forget(svc_sessions.set, (int64_t)time(NULL));
		auth_revoked_synced(svc_sessions.set, started_ms);
	}
	if (rc < 0 && !svc_sessions.failing)
		log_event(LOG_LVL_WARN,
			  "cannot follow ended sessions: money acts "
			  "fail closed until identity answers",
			  "reason", err_last()->reason, "error", err_last()->message, NULL);
	if (rc == 0 && svc_sessions.failing)
		log_event(LOG_LVL_INFO, "following ended sessions again", NULL);
	svc_sessions.failing = rc < 0;
	pthread_mutex_lock(&svc_sessions.done_lock);
	svc_sessions.polls_done++;
	pthread_cond_broadcast(&svc_sessions.done);
	pthread_mutex_unlock(&svc_sessions.done_lock);
	return rc;
}

int
svc_sessions_poll(void)
{
	int rc;

	pthread_rwlock_rdlock(&svc_sessions.life);
	pthread_mutex_lock(&svc_sessions.poll_lock);
	rc = svc_sessions.set ? svc_sessions_poll_locked()
			      : err_set(ERR_UNAVAILABLE, "sessions_unknown",
					"ended sessions are not followed");
	pthread_mutex_unlock(&svc_sessions.poll_lock);
	pthread_rwlock_unlock(&svc_sessions.life);
	return rc;
}

static void
svc_sessions_pass(void)
{
	if (svc_sessions.config.caller)
		svc_calls_thread_caller(svc_sessions.config.caller, svc_sessions.config.token);
	if (svc_sessions_poll() < 0)
		return; /* logged once per outage; money acts fail closed */
}

int
svc_sessions_start(rpc_channel *identity, const svc_sessions_config *config)
{
	pthread_condattr_t attr;
	int rc = svc_sessions_config_check(config);

	if (rc < 0)
		return rc;
	pthread_rwlock_wrlock(&svc_sessions.life);
	if (svc_sessions.set) {
		pthread_rwlock_unlock(&svc_sessions.life);
		return err_set(ERR_INTERNAL, NULL, "sessions are followed already");
	}
	svc_sessions.set = auth_revoked_new(0);
	svc_sessions.identity = identity;
	svc_sessions.config = *config;
	svc_sessions.cursor[0] = '\0';
	svc_sessions.failing = 0;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&svc_sessions.done, &attr);
	pthread_condattr_destroy(&attr);
	pthread_rwlock_unlock(&svc_sessions.life);
	rc = svc_worker_start(&svc_sessions.worker, svc_sessions_pass, (int)config->poll_ms);
	if (rc < 0)
		svc_sessions_stop();
	return rc;
}

void
svc_sessions_stop(void)
{
	svc_worker_stop(svc_sessions.worker);
	pthread_rwlock_wrlock(&svc_sessions.life);
	svc_sessions.worker = NULL;
	if (svc_sessions.set)
		pthread_cond_destroy(&svc_sessions.done);
	auth_revoked_free(svc_sessions.set);
	svc_sessions.set = NULL;
	svc_sessions.identity = NULL;
	pthread_rwlock_unlock(&svc_sessions.life);
}

/* A stale set: waits until the worker finishes its next poll (it may be
 * waiting for identity to come back), at most max_stale_ms. Only the
 * worker asks identity. Called with life held. */
static void
svc_sessions_await_poll(void)
{
	struct timespec until;
	int64_t wait_ms = svc_sessions.config.max_stale_ms;
	uint64_t seen;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&svc_sessions.done_lock);
	seen = svc_sessions.polls_done;
	while (svc_sessions.polls_done == seen &&
	       pthread_cond_timedwait(&svc_sessions.done, &svc_sessions.done_lock, &until) == 0)
		; /* woken by an earlier poll's broadcast: keep waiting */
	pthread_mutex_unlock(&svc_sessions.done_lock);
}

/* The verdict of the set; called with life held. */
static int
svc_sessions_verdict(const char *sid)
{
	return auth_revoked_check(svc_sessions.set, sid, (int64_t)time(NULL),
				  svc_sessions_mono_ms(), svc_sessions.config.max_stale_ms);
}

int
svc_sessions_check(const auth_claims *claims)
{
	int rc;

	pthread_rwlock_rdlock(&svc_sessions.life);
	if (!svc_sessions.set) {
		rc = err_set(ERR_UNAVAILABLE, "sessions_unknown",
			     "ended sessions are not followed");
	} else {
		rc = svc_sessions_verdict(claims->sid);
		if (rc == ERR_UNAVAILABLE) {
			svc_sessions_await_poll();
			rc = svc_sessions_verdict(claims->sid);
		}
	}
	pthread_rwlock_unlock(&svc_sessions.life);
	return rc;
}
