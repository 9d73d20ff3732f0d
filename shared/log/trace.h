/* trace: a call's request id and W3C trace context (docs/decisions.md,
 * "Request ids and traces").
 *
 * Every call a Kolo process serves has a request id (x-request-id: the
 * caller's when it is 1..128 of [A-Za-z0-9._:-], else a new one) and a
 * trace: the caller's trace id from a valid `traceparent` (W3C Trace
 * Context, version 00), or a new one, and a span id of this hop's own. The
 * process propagates both on every call it makes for it (traceparent
 * 00-<trace_id>-<span_id>-<flags>, tracestate untouched), and log.h writes
 * them into every line of the call (log_context_set). Pure except
 * trace_begin's random ids. */
#ifndef KOLO_TRACE_H
#define KOLO_TRACE_H

#include <stddef.h>

#define TRACE_REQUEST_ID_MAX 128
#define TRACE_STATE_MAX	     512
/* "00-" + 32 + "-" + 16 + "-" + 2, and the NUL. */
#define TRACE_PARENT_LEN 55

typedef struct trace_ctx {
	char request_id[TRACE_REQUEST_ID_MAX + 1];
	char trace_id[33];		      /* 32 lowercase hex */
	char span_id[17];		      /* this hop's, 16 lowercase hex */
	char parent_id[17];		      /* the caller's span; "" when the trace began here */
	char flags[3];			      /* trace-flags as given ("01": sampled) */
	char tracestate[TRACE_STATE_MAX + 1]; /* as given; "" none */
} trace_ctx;

/* What trace_begin refused of what it was given (flags). */
enum {
	TRACE_REFUSED_REQUEST_ID = 1,
	TRACE_REFUSED_TRACEPARENT = 2,
};

/* 1 when s is 1..TRACE_REQUEST_ID_MAX characters of [A-Za-z0-9._:-]. */
int trace_request_id_valid(const char *s);

/* Parses a W3C traceparent header into t's trace_id, parent_id and flags:
 * 0, or -1 when it is not valid (t untouched). Version 00 is exactly 55
 * characters; a later version (01..fe) may be longer when character 55 is
 * '-' (the spec's forward compatibility); ff, upper case, all-zero ids
 * are invalid. */
int trace_parse_traceparent(trace_ctx *t, const char *header);

/* Starts the trace of one served call from what the caller sent (each
 * may be NULL: absent): keeps a valid request id and trace, makes the
 * rest (a new request id, a new trace id, always a new span id). A
 * tracestate is kept only with a valid traceparent and when it is at most
 * TRACE_STATE_MAX printable characters. Returns the TRACE_REFUSED_* flags
 * of what was given but not valid (the caller logs them). */
unsigned trace_begin(trace_ctx *t, const char *request_id, const char *traceparent,
		     const char *tracestate);

/* The traceparent this hop sends on its own calls:
 * 00-<trace_id>-<span_id>-<flags> in out (TRACE_PARENT_LEN + 1 bytes). */
void trace_format_traceparent(const trace_ctx *t, char out[TRACE_PARENT_LEN + 1]);

/* The calling thread's trace (log_context), formatted as an HTTP header
 * line "traceparent: 00-..." for outgoing HTTP calls; 0 when the thread
 * serves no call (out untouched), 1 when out was written. */
int trace_http_header(char *out, size_t cap);

#endif
