/* err: the one error enum of Kolo and the thread-local last error.
 *
 * 0 is success; every failure is the negated gRPC status code, so the enum
 * maps 1:1 to gRPC and, in the gateway, to HTTP. A failing function records a
 * machine reason (snake_case, e.g. "insufficient_funds") and a one-line
 * human message with err_set(), then returns the code it got back. */
#ifndef KOLO_ERR_H
#define KOLO_ERR_H

#include <stddef.h>

#define KOLO_MUST_CHECK	  __attribute__((warn_unused_result))
#define KOLO_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum {
	ERR_OK = 0,
	ERR_CANCELLED = -1,
	ERR_UNKNOWN = -2,
	ERR_INVALID_ARGUMENT = -3,
	ERR_DEADLINE_EXCEEDED = -4,
	ERR_NOT_FOUND = -5,
	ERR_ALREADY_EXISTS = -6,
	ERR_PERMISSION_DENIED = -7,
	ERR_RESOURCE_EXHAUSTED = -8,
	ERR_FAILED_PRECONDITION = -9,
	ERR_ABORTED = -10,
	ERR_OUT_OF_RANGE = -11,
	ERR_UNIMPLEMENTED = -12,
	ERR_INTERNAL = -13,
	ERR_UNAVAILABLE = -14,
	ERR_DATA_LOSS = -15,
	ERR_UNAUTHENTICATED = -16,
} err_code;

#define ERR_REASON_MAX	64
#define ERR_MESSAGE_MAX 256
/* Metadata of one error (google.rpc.ErrorInfo.metadata): a few short pairs. */
#define ERR_META_MAX	   4
#define ERR_META_KEY_MAX   32
#define ERR_META_VALUE_MAX 64

typedef struct err_meta {
	char key[ERR_META_KEY_MAX];
	char value[ERR_META_VALUE_MAX];
} err_meta;

/* The last error recorded on this thread. Borrowed; valid until the next
 * err_set()/err_clear() on the same thread. */
typedef struct err_info {
	err_code code;
	char reason[ERR_REASON_MAX];
	char message[ERR_MESSAGE_MAX];
	int retry_after_s;	     /* > 0: when to try again (a rate limit's hint) */
	err_meta meta[ERR_META_MAX]; /* err_set_meta(); n_meta used */
	int n_meta;
} err_info;

/* Records code, reason and a printf-style message; returns code so a caller
 * can write `return err_set(ERR_NOT_FOUND, "group_not_found", "...")`. A NULL
 * reason is stored as the default reason of the code. */
err_code err_set(err_code code, const char *reason, const char *fmt, ...) KOLO_PRINTF(3, 4);

/* Adds a retry hint (seconds, > 0) to the last error: a rate limit's
 * RESOURCE_EXHAUSTED carries it as the `kolo-retry-after` trailer and the
 * gateway as Retry-After. err_set() clears it. Returns the last code. */
err_code err_set_retry_after(int seconds);

/* Adds a key/value pair to the last error's metadata (sent in
 * google.rpc.ErrorInfo, e.g. attempts_left, field): a key set again is
 * replaced; beyond ERR_META_MAX pairs, or a key or value too long, the pair
 * is dropped. err_set() clears them. Returns the last code. */
err_code err_set_meta(const char *key, const char *value);

/* err_set(ERR_INVALID_ARGUMENT, "invalid_id", "<field> must be a UUID")
 * with metadata field=<field>: the one reason of a malformed id. */
err_code err_invalid_id(const char *field);

/* The value of key in e's metadata, or NULL. */
const char *err_meta_get(const err_info *e, const char *key);

/* The catalogue entry of reason (shared/err/reasons.h): 1 and its code,
 * gateway HTTP status (0: the code's) and meaning, or 0 when unknown. */
int err_reason_find(const char *reason, err_code *code, int *http, const char **meaning);

/* err_set(ERR_RESOURCE_EXHAUSTED, ...) for a call whose arena is full. */
err_code err_oom(void);

/* Forgets the last error of this thread. */
void err_clear(void);

/* The last error of this thread (code ERR_OK when none). */
const err_info *err_last(void);

/* Makes a copy of an earlier err_last() the last error again (after calls
 * in between recorded others); returns its code. */
err_code err_restore(const err_info *saved);

/* gRPC status code (0..16) of an err_code; ERR_OK -> 0. */
int err_to_grpc(err_code code);

/* err_code of a gRPC status code; unknown values -> ERR_UNKNOWN. */
err_code err_from_grpc(int grpc_status);

/* The default snake_case reason of a code, e.g. "not_found". Static. */
const char *err_default_reason(err_code code);

#endif
