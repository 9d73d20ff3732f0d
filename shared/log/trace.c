#include "trace.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char trace_id_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";

int
trace_request_id_valid(const char *s)
{
	size_t n = s ? strnlen(s, TRACE_REQUEST_ID_MAX + 1) : 0;

	return n >= 1 && n <= TRACE_REQUEST_ID_MAX && strspn(s, trace_id_chars) == n;
}

/* 1 when s[0..n) are lowercase hex digits, not all zero (zero_ok: may be). */
static int
trace_hex(const char *s, size_t n, int zero_ok)
{
	int nonzero = 0;

	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
		nonzero |= s[i] != '0';
	}
	return nonzero || zero_ok;
}

int
trace_parse_traceparent(trace_ctx *t, const char *h)
{
	size_t n = h ? strnlen(h, 1024) : 0;

	if (n < TRACE_PARENT_LEN || !trace_hex(h, 2, 1) || strncmp(h, "ff", 2) == 0)
		return -1;
	/* 00 is exactly 55; a later version may carry more after a '-'. */
	if (strncmp(h, "00", 2) == 0 ? n != TRACE_PARENT_LEN
				     : n > TRACE_PARENT_LEN && h[TRACE_PARENT_LEN] != '-')
		return -1;
	if (h[2] != '-' || h[35] != '-' || h[52] != '-' || !trace_hex(h + 3, 32, 0) ||
	    !trace_hex(h + 36, 16, 0) || !trace_hex(h + 53, 2, 1))
		return -1;
	memcpy(t->trace_id, h + 3, 32);
	t->trace_id[32] = '\0';
	memcpy(t->parent_id, h + 36, 16);
	t->parent_id[16] = '\0';
	memcpy(t->flags, h + 53, 2);
	t->flags[2] = '\0';
	return 0;
}

/* Random bytes for ids, drawn from the system's generator a pool at a
 * time per thread: each byte is handed out once. One getrandom() per
 * ~12 calls instead of three per call (issue 25); the ids are as random
 * as before. */
#define TRACE_POOL_BYTES 512

static _Thread_local unsigned char trace_pool[TRACE_POOL_BYTES];
static _Thread_local size_t trace_pool_left;

static void
trace_random_hex(char *out, size_t n_bytes)
{
	unsigned char *raw;

	if (trace_pool_left < n_bytes) {
		randombytes_buf(trace_pool, sizeof(trace_pool));
		trace_pool_left = sizeof(trace_pool);
	}
	trace_pool_left -= n_bytes;
	raw = trace_pool + trace_pool_left;
	sodium_bin2hex(out, n_bytes * 2 + 1, raw, n_bytes);
	sodium_memzero(raw, n_bytes);
}

/* A tracestate worth passing on: printable ASCII, not too long. */
static int
trace_state_ok(const char *s)
{
	size_t n = strnlen(s, TRACE_STATE_MAX + 1);

	if (n == 0 || n > TRACE_STATE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	}
	return 1;
}

unsigned
trace_begin(trace_ctx *t, const char *request_id, const char *traceparent, const char *tracestate)
{
	unsigned refused = 0;

	memset(t, 0, sizeof(*t));
	if (request_id && trace_request_id_valid(request_id)) {
		snprintf(t->request_id, sizeof(t->request_id), "%s", request_id);
	} else {
		refused |= request_id ? TRACE_REFUSED_REQUEST_ID : 0;
		trace_random_hex(t->request_id, 16);
	}
	if (traceparent && trace_parse_traceparent(t, traceparent) == 0) {
		if (tracestate && trace_state_ok(tracestate))
			snprintf(t->tracestate, sizeof(t->tracestate), "%s", tracestate);
	} else {
		refused |= traceparent ? TRACE_REFUSED_TRACEPARENT : 0;
		trace_random_hex(t->trace_id, 16);
		snprintf(t->flags, sizeof(t->flags), "00");
	}
	trace_random_hex(t->span_id, 8);
	return refused;
}

void
trace_format_traceparent(const trace_ctx *t, char out[TRACE_PARENT_LEN + 1])
{
	snprintf(out, TRACE_PARENT_LEN + 1, "00-%.32s-%.16s-%.2s", t->trace_id, t->span_id,
		 t->flags);
}

int
trace_http_header(char *out, size_t cap)
{
	const trace_ctx *t = log_context();
	char tp[TRACE_PARENT_LEN + 1];

	if (!t)
		return 0;
	trace_format_traceparent(t, tp);
	snprintf(out, cap, "traceparent: %s", tp);
	return 1;
}
