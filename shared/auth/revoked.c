#include "revoked.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "mem/mem.h"

#define AUTH_REVOKED_MIN_BUCKETS 64

/* One ended session, chained in its bucket. */
typedef struct auth_revoked_entry {
	struct auth_revoked_entry *next;
	int64_t valid_until;
	char sid[AUTH_ID_MAX];
} auth_revoked_entry;

struct auth_revoked {
	pthread_rwlock_t lock;
	auth_revoked_entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t count;
	size_t max_entries;
	int synced;
	int64_t synced_ms;
};

/* FNV-1a: session ids are UUIDs, spread well enough by it. */
static size_t
auth_revoked_hash(const char *sid)
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *)sid; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

auth_revoked *
auth_revoked_new(size_t max_entries)
{
	auth_revoked *r = xcalloc(1, sizeof(*r));

	pthread_rwlock_init(&r->lock, NULL);
	r->n_buckets = AUTH_REVOKED_MIN_BUCKETS;
	r->buckets = xcalloc(r->n_buckets, sizeof(*r->buckets));
	r->max_entries = max_entries ? max_entries : AUTH_REVOKED_DEFAULT_MAX;
	return r;
}

void
auth_revoked_free(auth_revoked *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_buckets; i++) {
		auth_revoked_entry *e = r->buckets[i];

		while (e) {
			auth_revoked_entry *next = e->next;

			free(e);
			e = next;
		}
	}
	free(r->buckets);
	pthread_rwlock_destroy(&r->lock);
	free(r);
}

static auth_revoked_entry *
auth_revoked_find(const auth_revoked *r, const char *sid)
{
	auth_revoked_entry *e = r->buckets[auth_revoked_hash(sid) & (r->n_buckets - 1)];

	while (e && strcmp(e->sid, sid) != 0)
		e = e->next;
	return e;
}

/* Doubles the buckets once there are more entries than buckets. Called
 * with the write lock held. */
static void
auth_revoked_grow(auth_revoked *r)
{
	size_t n = r->n_buckets * 2;
	auth_revoked_entry **buckets = xcalloc(n, sizeof(*buckets));

	for (size_t i = 0; i < r->n_buckets; i++) {
		auth_revoked_entry *e = r->buckets[i];

		while (e) {
			auth_revoked_entry *next = e->next;
			size_t b = auth_revoked_hash(e->sid) & (n - 1);

			e->next = buckets[b];
			buckets[b] = e;
			e = next;
		}
	}
	free(r->buckets);
	r->buckets = buckets;
	r->n_buckets = n;
}

int
auth_revoked_add(auth_revoked *r, const char *sid, int64_t valid_until)
{
	size_t len = strlen(sid);
	auth_revoked_entry *e;
	size_t b;
	int rc = 0;

	if (len == 0 || len >= AUTH_ID_MAX) {
		err_set(ERR_INVALID_ARGUMENT, "invalid_id", "a session id is 1 to %d characters",
			AUTH_ID_MAX - 1);
		return err_set_meta("field", "session_id");
	}
	pthread_rwlock_wrlock(&r->lock);
	e = auth_revoked_find(r, sid);
	if (e) {
		if (valid_until > e->valid_until)
			e->valid_until = valid_until;
	} else if (r->count >= r->max_entries) {
		rc = err_set(ERR_RESOURCE_EXHAUSTED, "revocations_full",
			     "more than %zu ended sessions to remember", r->max_entries);
	} else {
		if (r->count >= r->n_buckets)
			auth_revoked_grow(r);
		e = xcalloc(1, sizeof(*e));
		memcpy(e->sid, sid, len + 1);
		e->valid_until = valid_until;
		b = auth_revoked_hash(sid) & (r->n_buckets - 1);
		e->next = r->buckets[b];
		r->buckets[b] = e;
		r->count++;
	}
	pthread_rwlock_unlock(&r->lock);
	return rc;
}

void
auth_revoked_forget(auth_revoked *r, int64_t now)
{
	pthread_rwlock_wrlock(&r->lock);
	for (size_t i = 0; i < r->n_buckets; i++) {
		auth_revoked_entry **link = &r->buckets[i];

		while (*link) {
			auth_revoked_entry *e = *link;

			if (e->valid_until > now) {
				link = &e->next;
				continue;
			}
			*link = e->next;
			free(e);
			r->count--;
		}
	}
	pthread_rwlock_unlock(&r->lock);
}

void
auth_revoked_synced(auth_revoked *r, int64_t started_ms)
{
	pthread_rwlock_wrlock(&r->lock);
	if (!r->synced || started_ms > r->synced_ms)
		r->synced_ms = started_ms;
	r->synced = 1;
	pthread_rwlock_unlock(&r->lock);
}

int
auth_revoked_check(auth_revoked *r, const char *sid, int64_t now, int64_t now_ms,
		   int64_t max_stale_ms)
{
	const auth_revoked_entry *e;
	int revoked, fresh;

	pthread_rwlock_rdlock(&r->lock);
	e = auth_revoked_find(r, sid);
	revoked = e && e->valid_until > now;
	fresh = r->synced && now_ms - r->synced_ms <= max_stale_ms;
	pthread_rwlock_unlock(&r->lock);
	if (revoked)
		return err_set(ERR_UNAUTHENTICATED, "session_revoked",
			       "this session has ended: sign in again");
	if (!fresh)
		return err_set(ERR_UNAVAILABLE, "sessions_unknown",
			       "cannot tell whether this session is still live: "
			       "try again shortly");
	return 0;
}

size_t
auth_revoked_count(auth_revoked *r)
{
	size_t n;

	pthread_rwlock_rdlock(&r->lock);
	n = r->count;
	pthread_rwlock_unlock(&r->lock);
	return n;
}
