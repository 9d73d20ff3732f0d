#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static char log_service[64] = "kolo";
static log_level log_min = LOG_LVL_INFO;

/* The call this thread serves (log_context_set). */
static _Thread_local trace_ctx log_ctx;
static _Thread_local int log_ctx_set;

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};

void
log_init(const char *service, log_level min_level)
{
	snprintf(log_service, sizeof(log_service), "%s", service);
	log_min = min_level;
}

int
log_level_parse(const char *text)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(text, log_level_names[i]) == 0)
			return i;
	}
	return -1;
}

int
log_enabled(log_level level)
{
	return level >= log_min;
}

static void
log_append(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t room = *len + 1 < cap ? cap - *len - 1 : 0;
	size_t n = strnlen(s, room);

	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

void
log_json_string(char *buf, size_t cap, size_t *len, const char *s)
{
	char esc[8];

	log_append(buf, cap, len, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc[2] = '\0';
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		log_append(buf, cap, len, esc);
	}
	log_append(buf, cap, len, "\"");
}

void
log_context_set(const trace_ctx *t)
{
	if (!t) {
		log_context_clear();
		return;
	}
	log_ctx = *t;
	log_ctx_set = 1;
}

void
log_context_clear(void)
{
	log_ctx_set = 0;
}

const trace_ctx *
log_context(void)
{
	return log_ctx_set ? &log_ctx : NULL;
}

/* Appends ,"key":"value" to the line. */
static void
log_field(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
	log_append(buf, cap, len, ",");
	log_json_string(buf, cap, len, key);
	log_append(buf, cap, len, ":");
	if (value)
		log_json_string(buf, cap, len, value);
	else
		log_append(buf, cap, len, "null");
}

static void
log_timestamp(char *out, size_t cap)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + strlen(out), cap - strlen(out), ".%03dZ",
		 (int)(ts.tv_nsec / 1000000) % 1000);
}

void
log_event(log_level level, const char *msg, ...)
{
	char line[LOG_LINE_MAX];
	char ts[64];
	size_t len = 0;
	const char *key, *value;
	va_list ap;

	if (level < log_min)
		return;
	log_timestamp(ts, sizeof(ts));
	line[0] = '\0';
	log_append(line, sizeof(line) - 1, &len, "{\"ts\":\"");
	log_append(line, sizeof(line) - 1, &len, ts);
	log_append(line, sizeof(line) - 1, &len, "\",\"level\":\"");
	log_append(line, sizeof(line) - 1, &len, log_level_names[level]);
	log_append(line, sizeof(line) - 1, &len, "\",\"service\":");
	log_json_string(line, sizeof(line) - 1, &len, log_service);
	log_append(line, sizeof(line) - 1, &len, ",\"msg\":");
	log_json_string(line, sizeof(line) - 1, &len, msg);
	if (log_ctx_set) {
		log_field(line, sizeof(line) - 1, &len, "request_id", log_ctx.request_id);
		log_field(line, sizeof(line) - 1, &len, "trace_id", log_ctx.trace_id);
		log_field(line, sizeof(line) - 1, &len, "span_id", log_ctx.span_id);
	}
	va_start(ap, msg);
	for (;;) {
		key = va_arg(ap, const char *);
		if (!key)
			break;
		value = va_arg(ap, const char *);
		log_field(line, sizeof(line) - 1, &len, key, value);
	}
	va_end(ap);
	log_append(line, sizeof(line) - 1, &len, "}");
	/* The buffer kept one byte back for the newline, so a truncated line
	 * still ends the record. */
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0)
		return; /* nowhere left to report it */
}
