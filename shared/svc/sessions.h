/* sessions: which access tokens may still do money and credential acts,
 * for services other than identity.
 *
 * The process keeps the set of ended sessions (auth/revoked.h) and brings
 * it up to date from identity's ListSessionRevocations every poll
 * interval, in a background worker: a busy service asks identity once per
 * interval, not once per call. svc_sessions_check() is the service's
 * rpc_session_check for its RPC_AUTH_LIVE methods: a token of a revoked
 * session is refused UNAUTHENTICATED "session_revoked"; when the set is
 * older than the staleness bound (identity unreachable) every such act is
 * refused UNAVAILABLE "sessions_unknown" (fail closed) while reads go on.
 * A revoked session therefore stops acting within max_stale_ms. */
#ifndef KOLO_SVC_SESSIONS_H
#define KOLO_SVC_SESSIONS_H

#include <stdint.h>

#include "rpc/rpc.h"

typedef struct svc_sessions_config {
	int64_t poll_ms;      /* KOLO_SESSION_POLL_MS, default 500 */
	int64_t max_stale_ms; /* KOLO_SESSION_MAX_STALE_MS, default 2000 */
	/* The caller the worker names to identity; NULL: the process's own
	 * (svc_calls_configure). Static strings: tests that run several
	 * services in one process name one that may follow sessions. */
	const char *caller;
	const char *token;
} svc_sessions_config;

/* Reads KOLO_SESSION_POLL_MS and KOLO_SESSION_MAX_STALE_MS from the
 * environment. ERR_INVALID_ARGUMENT "bad_config" for a value out of range
 * or a staleness bound not above the poll interval. */
KOLO_MUST_CHECK int svc_sessions_config_load(svc_sessions_config *out);

/* Starts following identity (borrowed: it must stay open until
 * svc_sessions_stop()) with a worker that polls now and then every
 * poll_ms. Once per process, before the server serves; config is copied.
 * ERR_INVALID_ARGUMENT "bad_config" as above. */
KOLO_MUST_CHECK int svc_sessions_start(rpc_channel *identity, const svc_sessions_config *config);

/* Stops the worker and forgets everything (after the server stopped).
 * Safe when not started. */
void svc_sessions_stop(void);

/* One poll now, to the end of identity's list: 0 and the set marked
 * fresh, or identity's error. The worker's pass. Each call to identity
 * waits for the channel to connect for up to half of max_stale_ms. */
KOLO_MUST_CHECK int svc_sessions_poll(void);

/* The rpc_session_check of services other than identity (see above).
 * When the set is stale it first waits for the worker's next poll to
 * finish (at most max_stale_ms: a service that started before identity, or
 * a poll late by a moment), then answers. */
KOLO_MUST_CHECK int svc_sessions_check(const auth_claims *claims);

#endif
