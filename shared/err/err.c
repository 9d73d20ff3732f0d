#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reasons.h"

static _Thread_local err_info last_error;

static const char *const default_reasons[] = {
	"ok",
	"cancelled",
	"unknown",
	"invalid_argument",
	"deadline_exceeded",
	"not_found",
	"already_exists",
	"permission_denied",
	"resource_exhausted",
	"failed_precondition",
	"aborted",
	"out_of_range",
	"unimplemented",
	"internal",
	"unavailable",
	"data_loss",
	"unauthenticated",
};

const char *
err_default_reason(err_code code)
{
	int idx = -(int)code;

	if (idx < 0 || idx > 16)
		return "unknown";
	return default_reasons[idx];
}

/* Cuts s back to a UTF-8 character boundary when its last character was
 * cut short, so a truncated message stays valid text. */
static void
err_utf8_trim(char *s)
{
	size_t n = strlen(s), start;
	unsigned char lead;
	size_t want;

	if (n == 0)
		return;
	start = n - 1;
	while (start > 0 && ((unsigned char)s[start] & 0xc0) == 0x80)
		start--;
	lead = (unsigned char)s[start];
	want = lead < 0x80 ? 1 : (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : 4;
	if (n - start < want)
		s[start] = '\0';
}

err_code
err_set(err_code code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	last_error.code = code;
	last_error.retry_after_s = 0;
	last_error.n_meta = 0;
	snprintf(last_error.reason, sizeof(last_error.reason), "%s",
		 reason ? reason : err_default_reason(code));
	va_start(ap, fmt);
	if (vsnprintf(last_error.message, sizeof(last_error.message), fmt, ap) >=
	    (int)sizeof(last_error.message))
		err_utf8_trim(last_error.message);
	va_end(ap);
	return code;
}

err_code
err_set_retry_after(int seconds)
{
	last_error.retry_after_s = seconds > 0 ? seconds : 0;
	return last_error.code;
}

err_code
err_set_meta(const char *key, const char *value)
{
	err_meta *m = NULL;

	if (strlen(key) >= ERR_META_KEY_MAX || strlen(value) >= ERR_META_VALUE_MAX)
		return last_error.code;
	for (int i = 0; i < last_error.n_meta && !m; i++)
		if (strcmp(last_error.meta[i].key, key) == 0)
			m = &last_error.meta[i];
	if (!m && last_error.n_meta < ERR_META_MAX)
		m = &last_error.meta[last_error.n_meta++];
	if (m) {
		memcpy(m->key, key, strlen(key) + 1);
		memcpy(m->value, value, strlen(value) + 1);
	}
	return last_error.code;
}

const char *
err_meta_get(const err_info *e, const char *key)
{
	for (int i = 0; i < e->n_meta; i++)
		if (strcmp(e->meta[i].key, key) == 0)
			return e->meta[i].value;
	return NULL;
}

void
err_clear(void)
{
	memset(&last_error, 0, sizeof(last_error));
}

const err_info *
err_last(void)
{
	return &last_error;
}

err_code
err_restore(const err_info *saved)
{
	last_error = *saved;
	return saved->code;
}

int
err_to_grpc(err_code code)
{
	int status = -(int)code;

	if (status < 0 || status > 16)
		return 2; /* UNKNOWN */
	return status;
}

err_code
err_from_grpc(int grpc_status)
{
	if (grpc_status < 0 || grpc_status > 16)
		return ERR_UNKNOWN;
	return (err_code)(-grpc_status);
}

err_code
err_invalid_id(const char *field)
{
	err_set(ERR_INVALID_ARGUMENT, "invalid_id", "%s must be a UUID", field);
	return err_set_meta("field", field);
}

typedef struct err_reason_entry {
	const char *reason;
	err_code code;
	int http;
	const char *meaning;
} err_reason_entry;

#define ERR_REASON_ENTRY(r, c, h, m) {#r, ERR_##c, h, m},
static const err_reason_entry err_reasons[] = {ERR_REASONS(ERR_REASON_ENTRY)};
#undef ERR_REASON_ENTRY

int
err_reason_find(const char *reason, err_code *code, int *http, const char **meaning)
{
	for (size_t i = 0; i < sizeof(err_reasons) / sizeof(err_reasons[0]); i++) {
		if (strcmp(err_reasons[i].reason, reason) != 0)
			continue;
		if (code)
			*code = err_reasons[i].code;
		if (http)
			*http = err_reasons[i].http;
		if (meaning)
			*meaning = err_reasons[i].meaning;
		return 1;
	}
	return 0;
}

err_code
err_oom(void)
{
	return err_set(ERR_RESOURCE_EXHAUSTED, NULL, "out of call memory");
}
