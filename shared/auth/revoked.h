/* revoked: the sessions a service knows to have ended, for refusing their
 * access tokens (RPC_AUTH_LIVE methods) without asking identity per call.
 *
 * A set of session ids (the `sid` claim), each kept until valid_until
 * (Unix seconds): by then every access token of the session has expired
 * and the token check alone refuses it. The set also remembers when it
 * was last complete (a poll of identity that reached the end): a check
 * against a set older than the caller's bound cannot tell and says so,
 * so money acts fail closed while identity cannot be asked. No I/O; the
 * caller passes the clocks. Thread-safe (a reader-writer lock). */
#ifndef KOLO_AUTH_REVOKED_H
#define KOLO_AUTH_REVOKED_H

#include <stddef.h>
#include <stdint.h>

#include "err/err.h"

/* Room for this many ended sessions unless told otherwise. */
#define AUTH_REVOKED_DEFAULT_MAX (1024 * 1024)

typedef struct auth_revoked auth_revoked;

/* An empty set, never synced, holding at most max_entries sessions (0:
 * AUTH_REVOKED_DEFAULT_MAX). Owned by the caller: auth_revoked_free(). */
auth_revoked *auth_revoked_new(size_t max_entries);
void auth_revoked_free(auth_revoked *r);

/* Records that session sid ended; its tokens are all expired after
 * valid_until. Adding a known sid keeps the later valid_until.
 * ERR_INVALID_ARGUMENT "invalid_id" (field session_id) for an empty or over-long sid,
 * ERR_RESOURCE_EXHAUSTED "revocations_full" when the set is full. */
KOLO_MUST_CHECK int auth_revoked_add(auth_revoked *r, const char *sid, int64_t valid_until);

/* Forgets the sessions whose valid_until <= now (Unix seconds). */
void auth_revoked_forget(auth_revoked *r, int64_t now);

/* Marks the set complete as of a poll that started at started_ms (a
 * monotonic clock in milliseconds): every session that ended before then
 * is in it. */
void auth_revoked_synced(auth_revoked *r, int64_t started_ms);

/* The verdict on a token of session sid at now (Unix seconds) and now_ms
 * (the monotonic clock of auth_revoked_synced()): ERR_UNAUTHENTICATED
 * "session_revoked" when sid is in the set; else ERR_UNAVAILABLE
 * "sessions_unknown" when the set was never synced or its last sync
 * started more than max_stale_ms before now_ms; else 0 (live). */
KOLO_MUST_CHECK int auth_revoked_check(auth_revoked *r, const char *sid, int64_t now,
				       int64_t now_ms, int64_t max_stale_ms);

/* The number of sessions held. */
size_t auth_revoked_count(auth_revoked *r);

#endif
